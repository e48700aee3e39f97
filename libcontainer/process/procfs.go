package process

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// writeProcFile writes value to a file that must be on procfs. The
// container's /proc is mounted from a config the user controls; checking
// the file system type of the opened file (O_NOFOLLOW on the last
// component) makes sure the value reaches the kernel and not a look-alike
// file in the rootfs.
func writeProcFile(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err != nil {
		return &os.PathError{Op: "fstatfs", Path: path, Err: err}
	}
	if st.Type != unix.PROC_SUPER_MAGIC {
		return fmt.Errorf("%s is not on procfs (file system type %#x)", path, st.Type)
	}
	if _, err := f.WriteString(value); err != nil {
		return err
	}
	return f.Close()
}
