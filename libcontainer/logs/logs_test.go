package logs

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

// Forward re-logs the init's lines at their level, as logrus JSON lines.
func TestForward(t *testing.T) {
	var out bytes.Buffer
	logrus.SetOutput(&out)
	logrus.SetFormatter(&logrus.JSONFormatter{})
	logrus.SetLevel(logrus.DebugLevel)
	defer logrus.SetOutput(os.Stderr)
	in := strings.Join([]string{
		`{"level":"warning","msg":"cap dropped"}`,
		`{"level":"error","msg":"init error"}`,
		`not json`,
	}, "\n")
	Forward(strings.NewReader(in))
	var got []map[string]string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]string
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q is not JSON", l)
		}
		got = append(got, m)
	}
	want := [][2]string{{"warning", "cap dropped"}, {"debug", "init error"}, {"warning", "not json"}}
	if len(got) != len(want) {
		t.Fatalf("got %d lines: %v", len(got), got)
	}
	for i, w := range want {
		if got[i]["level"] != w[0] || got[i]["msg"] != w[1] || got[i]["time"] == "" {
			t.Errorf("line %d = %v, want level %s msg %s", i, got[i], w[0], w[1])
		}
	}
}

func TestSetupLevels(t *testing.T) {
	defer logrus.SetOutput(os.Stderr)
	file := t.TempDir() + "/log"
	cases := []struct {
		path  string
		debug bool
		want  logrus.Level
	}{
		{"", false, logrus.WarnLevel},
		{file, false, logrus.ErrorLevel}, // Podman reads the file as one JSON object
		{file, true, logrus.DebugLevel},
	}
	for _, c := range cases {
		if err := Setup(c.path, "json", c.debug); err != nil {
			t.Fatal(err)
		}
		if got := logrus.GetLevel(); got != c.want {
			t.Errorf("Setup(%q, debug=%v): level %s, want %s", c.path, c.debug, got, c.want)
		}
	}
	if err := Setup("", "yaml", false); err == nil {
		t.Error("an unknown log format was accepted")
	}
}
