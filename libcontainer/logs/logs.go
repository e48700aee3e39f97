// Package logs sets up rt's logrus output (--log, --log-format, --debug) and
// forwards the JSON lines the container's init writes to its log pipe into
// that output. Lines are logrus-shaped ({"level","msg","time"}) because
// containerd and Podman parse them. It never decides what to log.
package logs

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/sirupsen/logrus"
)

// Setup configures the global logger once, from the global flags. On a
// terminal warnings show; into a --log file (what containerd and Podman
// pass) only errors go unless --debug: Podman decodes that whole file as
// one JSON object, so it must hold the fatal error alone.
func Setup(path, format string, debug bool) error {
	level := logrus.WarnLevel
	if path != "" {
		level = logrus.ErrorLevel
	}
	if debug {
		level = logrus.DebugLevel
	}
	logrus.SetLevel(level)
	switch format {
	case "json":
		logrus.SetFormatter(&logrus.JSONFormatter{})
	case "text", "":
		logrus.SetFormatter(&logrus.TextFormatter{DisableColors: true})
	default:
		return fmt.Errorf("unknown log-format %q", format)
	}
	if path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o644)
		if err != nil {
			return fmt.Errorf("open log %s: %w", path, err)
		}
		logrus.SetOutput(f)
	}
	return nil
}

// ToPipe makes the init log to fd as JSON lines for the parent to forward.
func ToPipe(w io.Writer, debug bool) {
	logrus.SetOutput(w)
	logrus.SetFormatter(&logrus.JSONFormatter{DisableTimestamp: true})
	if debug {
		logrus.SetLevel(logrus.DebugLevel)
	}
}

type line struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
}

// Forward re-logs every line read from r at its own level until EOF. A line
// that is not JSON is logged as it is, at warning level.
func Forward(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Msg == "" {
			logrus.Warn(sc.Text())
			continue
		}
		lvl, err := logrus.ParseLevel(l.Level)
		if err != nil {
			lvl = logrus.WarnLevel
		}
		// The init's own error is also returned over the sync socket and
		// logged once by the command; keep its copy at debug level.
		if lvl <= logrus.ErrorLevel {
			lvl = logrus.DebugLevel
		}
		logrus.StandardLogger().Log(lvl, l.Msg)
	}
}
