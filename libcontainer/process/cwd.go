package process

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Chdir makes cwd (process.cwd, absolute) the working directory, creating
// it (mode 0755, with the caller's credentials) when it does not exist, as
// runc does. Call it after pivot_root and after the user switch, so the
// user's permissions apply.
//
// It then asks the kernel where the process is (getcwd(2)) and fails when
// the answer is not an absolute path: the kernel prefixes "(unreachable)"
// to a directory outside the process's root, which is how a descriptor
// leaked from the host (cwd "/proc/self/fd/N") lets the container escape
// (CVE-2024-21626).
func Chdir(cwd string) error {
	if !filepath.IsAbs(cwd) {
		return fmt.Errorf("cwd %q is not an absolute path", cwd)
	}
	err := unix.Chdir(cwd)
	if errors.Is(err, unix.ENOENT) {
		if err := os.MkdirAll(cwd, 0o755); err != nil {
			return fmt.Errorf("create cwd: %w", err)
		}
		err = unix.Chdir(cwd)
	}
	if err != nil {
		return fmt.Errorf("chdir to cwd %q set in config.json: %w", cwd, err)
	}
	return checkCwdInRoot(cwd)
}

// checkCwdInRoot fails unless getcwd(2) reports a path inside the root.
func checkCwdInRoot(cwd string) error {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Getcwd(buf)
	if err != nil {
		// ENOENT: the directory was removed, or is outside the root.
		return fmt.Errorf("cwd %q: getcwd: %w", cwd, err)
	}
	if n < 1 || buf[0] != '/' {
		got := string(buf[:max(n-1, 0)])
		return fmt.Errorf("cwd %q is outside the container's root (the kernel reports %q)", cwd, got)
	}
	return nil
}
