package process

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// DefaultPath is the search path when the process's environment has no
// PATH (runc's, and `runc spec`'s default).
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ErrNotFound is wrapped by LookPath's error when no PATH directory holds
// an executable of that name.
var ErrNotFound = errors.New("executable file not found in $PATH")

// LookPath finds the program the container's process will run, as
// execvp(3) would, in the current root (call it after pivot_root, with the
// container's credentials in place, so permissions are checked for the
// user who will exec):
//
//   - a name with a slash is used as it is; it must exist, be a regular
//     file and be executable;
//   - otherwise each directory of PATH (from env, else DefaultPath) is
//     tried in order; an empty element means the current directory (so
//     call LookPath after Chdir), and the result is then relative ("./x").
//
// Errors read like Go's os/exec: `exec: "foo": executable file not found
// in $PATH`; when a match was found but not executable, the error is
// permission denied, as execvp reports.
func LookPath(arg0 string, env []string) (string, error) {
	if arg0 == "" {
		return "", fmt.Errorf("exec: %q: %w", arg0, ErrNotFound)
	}
	if strings.Contains(arg0, "/") {
		if err := checkExecutable(arg0); err != nil {
			return "", fmt.Errorf("exec: %q: %w", arg0, err)
		}
		return arg0, nil
	}
	path, ok := lookupEnv(env, "PATH")
	if !ok {
		path = DefaultPath
	}
	var denied error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		cand := filepath.Join(dir, arg0)
		if dir == "." {
			cand = "./" + arg0
		}
		err := checkExecutable(cand)
		if err == nil {
			return cand, nil
		}
		if denied == nil && errors.Is(err, unix.EACCES) {
			denied = err
		}
	}
	if denied != nil {
		return "", fmt.Errorf("exec: %q: %w", arg0, denied)
	}
	return "", fmt.Errorf("exec: %q: %w", arg0, ErrNotFound)
}

// checkExecutable tells whether path is a regular file the caller may
// execute (access(2) with the effective ids, as execve checks).
func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file: %w", path, unix.EACCES)
	}
	if err := unix.Faccessat(unix.AT_FDCWD, path, unix.X_OK, unix.AT_EACCESS); err != nil {
		return &os.PathError{Op: "access", Path: path, Err: err}
	}
	return nil
}
