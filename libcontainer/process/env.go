package process

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// passwdFile is the container's user database, read after pivot_root.
const passwdFile = "/etc/passwd"

// Env returns the environment of the container's process: env, plus
// HOME when env does not set it, taken from the container's /etc/passwd
// entry for uid, else "/" (runc's rule). Call it after pivot_root. env is
// not modified.
func Env(env []string, uid int) []string {
	return envWithHome(env, uid, passwdFile)
}

func envWithHome(env []string, uid int, passwd string) []string {
	out := make([]string, len(env), len(env)+1)
	copy(out, env)
	if _, ok := lookupEnv(env, "HOME"); ok {
		return out
	}
	home := homeOf(passwd, uid)
	if home == "" {
		home = "/"
	}
	return append(out, "HOME="+home)
}

// homeOf returns the home directory of the first passwd entry for uid, or
// "" when there is none (or no readable file).
func homeOf(passwd string, uid int) string {
	f, err := os.Open(passwd)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// name:password:uid:gid:gecos:home:shell
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 6 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if id, err := strconv.Atoi(fields[2]); err == nil && id == uid {
			return fields[5]
		}
	}
	return ""
}

// envName returns the name part of a NAME=value entry.
func envName(kv string) string {
	name, _, _ := strings.Cut(kv, "=")
	return name
}

// lookupEnv returns the value of name in env; the last entry wins, as when
// the entries are set one after the other.
func lookupEnv(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if n, v, ok := strings.Cut(env[i], "="); ok && n == name {
			return v, true
		}
	}
	return "", false
}
