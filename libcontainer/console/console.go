// Package console owns the container's terminal: the pty pair allocated
// inside the container (after /dev/pts is mounted), making the slave the
// process's stdio and controlling terminal, and handing the master to the
// caller over a unix socket (--console-socket) with SCM_RIGHTS. It also
// holds the foreground `rt run` side, which receives the master itself and
// copies between it and rt's own stdio.
package console

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// OpenPty opens a new pty pair from the current /dev/ptmx.
func OpenPty() (master, slave *os.File, err error) {
	mfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	master = os.NewFile(uintptr(mfd), "/dev/ptmx")
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(mfd, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("pty number: %w", err)
	}
	name := fmt.Sprintf("/dev/pts/%d", n)
	sfd, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("open %s: %w", name, err)
	}
	return master, os.NewFile(uintptr(sfd), name), nil
}

// SetSize applies the config's consoleSize.
func SetSize(f *os.File, height, width uint) error {
	ws := &unix.Winsize{Row: uint16(height), Col: uint16(width)}
	if err := unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		return fmt.Errorf("set console size: %w", err)
	}
	return nil
}

// BecomeStdio makes slave the caller's stdio and controlling terminal, in
// a new session. The caller then execs the container's process.
func BecomeStdio(slave *os.File) error {
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	fd := int(slave.Fd())
	if err := unix.IoctlSetInt(fd, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("set controlling terminal: %w", err)
	}
	for i := 0; i <= 2; i++ {
		if err := unix.Dup3(fd, i, 0); err != nil {
			return fmt.Errorf("dup pty to fd %d: %w", i, err)
		}
	}
	return nil
}

// BindConsole bind-mounts the slave onto /dev/console, as runc does.
func BindConsole(slave *os.File) error {
	f, err := os.OpenFile("/dev/console", os.O_CREATE|os.O_RDONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create /dev/console: %w", err)
	}
	f.Close()
	if err := unix.Mount(slave.Name(), "/dev/console", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s on /dev/console: %w", slave.Name(), err)
	}
	return nil
}

// SendMaster sends the master over the console socket: one message whose
// payload is the master's name and whose one SCM_RIGHTS fd is the master.
func SendMaster(sock *os.File, master *os.File) error {
	rights := unix.UnixRights(int(master.Fd()))
	if err := unix.Sendmsg(int(sock.Fd()), []byte(master.Name()), rights, nil, 0); err != nil {
		return fmt.Errorf("send pty master: %w", err)
	}
	return nil
}

// RecvMaster receives a master sent by SendMaster.
func RecvMaster(sock *os.File) (*os.File, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("receive pty master: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("receive pty master: want one control message, got %d (%v)", len(msgs), err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("receive pty master: want one fd (%v)", err)
	}
	return os.NewFile(uintptr(fds[0]), strings.TrimRight(string(buf[:n]), "\x00")), nil
}

// Dial connects to a caller's console socket.
func Dial(path string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("connect console socket %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}
