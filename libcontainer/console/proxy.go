package console

import (
	"io"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// Proxy copies rt's stdin to the master and the master to rt's stdout for a
// foreground `rt run`/`rt exec` with a terminal. If stdin is a terminal it
// is made raw (restored by the returned func) and its size follows
// SIGWINCH. done closes when the container side of the pty is closed and
// all its output was copied.
func Proxy(master *os.File) (restore func(), done <-chan struct{}) {
	restore = func() {}
	in := int(os.Stdin.Fd())
	if old, err := unix.IoctlGetTermios(in, unix.TCGETS); err == nil {
		raw := *old
		raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		raw.Oflag &^= unix.OPOST
		raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		raw.Cflag &^= unix.CSIZE | unix.PARENB
		raw.Cflag |= unix.CS8
		_ = unix.IoctlSetTermios(in, unix.TCSETS, &raw)
		resize := func() {
			if ws, err := unix.IoctlGetWinsize(in, unix.TIOCGWINSZ); err == nil {
				_ = unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws)
			}
		}
		resize()
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, unix.SIGWINCH)
		go func() {
			for range winch {
				resize()
			}
		}()
		restore = func() {
			signal.Stop(winch)
			_ = unix.IoctlSetTermios(in, unix.TCSETS, old)
		}
	}
	out := make(chan struct{})
	go func() { _, _ = io.Copy(master, os.Stdin) }()
	go func() {
		_, _ = io.Copy(os.Stdout, master) // ends with EIO once the slave is closed
		close(out)
	}()
	return restore, out
}
