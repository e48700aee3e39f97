package integration

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestConsoleSocket: with process.terminal, rt sends the pty master over
// --console-socket (one message, the name as payload, one fd) and the
// container's stdio and /dev/console are that pty.
func TestConsoleSocket(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh(`tty; stty size; stat -c %t:%T /dev/console; read line; echo "got $line"`)
	b.Spec.Process.Terminal = true
	b.Spec.Process.ConsoleSize = &specs.Box{Height: 33, Width: 101}
	sock := filepath.Join(r.dir, "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	masterCh := make(chan *os.File, 1)
	go func() {
		c, err := l.AcceptUnix()
		if err != nil {
			masterCh <- nil
			return
		}
		defer c.Close()
		buf, oob := make([]byte, 256), make([]byte, unix.CmsgSpace(4*4))
		n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
		msgs, perr := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || perr != nil || len(msgs) != 1 {
			masterCh <- nil
			return
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			masterCh <- nil
			return
		}
		masterCh <- os.NewFile(uintptr(fds[0]), string(buf[:n]))
	}()
	id, _ := r.create(b, "--console-socket", sock)
	var master *os.File
	select {
	case master = <-masterCh:
	case <-time.After(10 * time.Second):
	}
	if master == nil {
		t.Fatal("no pty master received on the console socket")
	}
	defer master.Close()
	r.ok("start", id)
	if _, err := master.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	buf := make([]byte, 4096)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(out.String(), "got hello") {
		_ = master.SetReadDeadline(time.Now().Add(time.Second))
		n, err := master.Read(buf)
		out.Write(buf[:n])
		if err != nil && !os.IsTimeout(err) {
			break
		}
	}
	got := strings.ReplaceAll(out.String(), "\r", "")
	for _, want := range []string{"/dev/pts/0\n", "33 101\n", "88:0\n", "got hello"} {
		if !strings.Contains(got, want) {
			t.Errorf("container terminal output %q lacks %q", got, want)
		}
	}
	r.waitStatus(id, "stopped")
	r.ok("delete", id)
}

// A terminal without a console socket cannot be created detached, and the
// failed create leaves nothing.
func TestTerminalNeedsConsoleSocket(t *testing.T) {
	t.Parallel()
	r := newRT(t)
	b := r.sh("true")
	b.Spec.Process.Terminal = true
	id, res := r.tryCreate(cmdOpts{}, b)
	if res.Code == 0 || !strings.Contains(res.Stderr, "console-socket") {
		t.Errorf("create with terminal and no socket: %s", res)
	}
	oneLineError(t, res)
	assertNoTrace(t, r, id)
}
