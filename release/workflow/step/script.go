package step

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrNoSandbox is the error of a script step on a host where bubblewrap is
// missing or cannot create namespaces: scripts never run unsandboxed.
var ErrNoSandbox = errors.New("script steps need bubblewrap (bwrap) able to create user, pid, ipc, uts and network namespaces; install the bubblewrap package")

// Script runs a bash script inside a bubblewrap sandbox.
//
// Config:
//
//	{"script": "echo hi; echo version=1.2 >> \"$STELLA_OUTPUT\"",
//	 "env": {"REGION": "eu"}, "network": false, "timeoutSeconds": 600, "retriable": false,
//	 "cpuSeconds": 300, "memoryMiB": 1024, "processes": 128, "fileSizeMiB": 64}
//
// The sandbox sees a read-only /usr (and /bin, /lib*, a few files of /etc),
// a private tmpfs /tmp, a fresh writable /work (the working directory and
// HOME), fresh /proc and /dev, no network unless "network" is true, new
// pid, ipc and uts namespaces, and runs as uid 65534: the host's uid 65534
// when this process is root (root is exempt from the process limit), else
// this process's uid mapped to 65534, whose processes the limit then counts
// too. Its
// environment is only PATH, HOME, LANG, STELLA_* and the config's env plus
// Input.Secrets, never this process's. CPU time, address space, processes
// and file size are capped with rlimits; the wall-clock timeout kills the
// whole sandbox.
//
// Output lines go to Input.Log with every secret value replaced by ***.
// Outputs: exitCode and the KEY=VALUE lines the script appends to the file
// named by $STELLA_OUTPUT. A non-zero exit is an error quoting the last log
// lines; it is retriable only with "retriable": true. A timeout is always
// retriable, like a node's timeout.
type Script struct {
	Bwrap   string // path of bwrap; "": looked up in PATH
	TempDir string // where work directories are made; "": os.TempDir()
}

type scriptConfig struct {
	Script         string            `json:"script"`
	Env            map[string]string `json:"env"`
	Network        bool              `json:"network"`
	TimeoutSeconds float64           `json:"timeoutSeconds"`
	Retriable      bool              `json:"retriable"`
	CPUSeconds     int               `json:"cpuSeconds"`
	MemoryMiB      int               `json:"memoryMiB"`
	Processes      int               `json:"processes"`
	FileSizeMiB    int               `json:"fileSizeMiB"`
}

const (
	maxScript    = 1 << 20
	maxOutput    = 1 << 20
	sandboxUID   = 65534
	outputInside = "/stella/out/output"
)

// bashReadonly are variables bash refuses to set.
var bashReadonly = []string{"BASHOPTS", "BASH_VERSINFO", "EUID", "PPID", "SHELLOPTS", "UID"}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// bounded checks a limit and applies its default.
func bounded(field string, v *int, def, max int) error {
	switch {
	case *v < 0 || *v > max:
		return invalid(field, "want 1…%d, got %d", max, *v)
	case *v == 0:
		*v = def
	}
	return nil
}

func decodeScript(raw []byte) (scriptConfig, error) {
	var cfg scriptConfig
	if err := DecodeConfig(raw, &cfg); err != nil {
		return cfg, err
	}
	switch {
	case strings.TrimSpace(cfg.Script) == "":
		return cfg, invalid("script", "required")
	case len(cfg.Script) > maxScript:
		return cfg, invalid("script", "longer than %d bytes", maxScript)
	case strings.ContainsRune(cfg.Script, 0):
		return cfg, invalid("script", "contains a NUL byte")
	}
	switch {
	case cfg.TimeoutSeconds < 0 || cfg.TimeoutSeconds > 86400:
		return cfg, invalid("timeoutSeconds", "want 0…86400, got %v", cfg.TimeoutSeconds)
	case cfg.TimeoutSeconds == 0:
		cfg.TimeoutSeconds = 600
	}
	for _, b := range []struct {
		field    string
		v        *int
		def, max int
	}{
		{"cpuSeconds", &cfg.CPUSeconds, 300, 86400},
		{"memoryMiB", &cfg.MemoryMiB, 1024, 65536},
		{"processes", &cfg.Processes, 128, 4096},
		{"fileSizeMiB", &cfg.FileSizeMiB, 64, 65536},
	} {
		if err := bounded(b.field, b.v, b.def, b.max); err != nil {
			return cfg, err
		}
	}
	for _, k := range slices.Sorted(mapKeys(cfg.Env)) {
		if err := checkEnvName("env."+k, k); err != nil {
			return cfg, err
		}
		if strings.ContainsRune(cfg.Env[k], 0) {
			return cfg, invalid("env."+k, "contains a NUL byte")
		}
	}
	return cfg, nil
}

func checkEnvName(field, k string) error {
	switch {
	case !envName.MatchString(k):
		return invalid(field, "not an environment variable name")
	case strings.HasPrefix(k, "STELLA_"):
		return invalid(field, "STELLA_* names are reserved")
	case slices.Contains(bashReadonly, k):
		return invalid(field, "a read-only bash variable")
	}
	return nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Run implements Step.
func (s Script) Run(ctx context.Context, in Input) (Output, error) {
	cfg, err := decodeScript(in.Config)
	if err != nil {
		return Output{}, err
	}
	env, err := scriptEnv(cfg, in)
	if err != nil {
		return Output{}, err
	}
	bwrap := s.Bwrap
	if bwrap == "" {
		if bwrap, err = exec.LookPath("bwrap"); err != nil {
			return Output{}, fmt.Errorf("%w: %v", ErrNoSandbox, err)
		}
	}
	mask := masker(in.Secrets)

	asRoot := os.Geteuid() == 0
	dir, err := workDir(s.TempDir, cfg.Script, env, asRoot)
	if err != nil {
		return Output{}, Retriable(fmt.Errorf("script work directory: %w", err))
	}
	defer os.RemoveAll(dir)
	work, out, scriptFile := filepath.Join(dir, "work"), filepath.Join(dir, "out"), filepath.Join(dir, "script.sh")

	nonce := make([]byte, 16)
	rand.Read(nonce)
	ready := "stella-sandbox-ready-" + hex.EncodeToString(nonce)

	parent := ctx
	ctx, cancel := context.WithTimeoutCause(ctx, time.Duration(cfg.TimeoutSeconds*float64(time.Second)), errScriptTimeout)
	defer cancel()
	args := sandboxArgs(cfg, work, out, scriptFile, !asRoot)
	// The wrapper sets the limits (hard ones, so the script cannot raise
	// them; the CPU hard limit a second above the soft one so that SIGXCPU,
	// not SIGKILL, names the cause), reads the environment, proves with the
	// nonce line that the sandbox is up, then runs the script.
	wrapper := `ulimit -S -t "$1" && ulimit -H -t $(($1 + 1)) && ulimit -v "$2" -u "$3" -f "$4" || exit 125
while IFS= read -r -d '' kv; do export -- "$kv" || exit 126; done < /stella/env
echo "$5"
exec /bin/bash /stella/script.sh`
	args = append(args, "--", "/bin/bash", "--norc", "--noprofile", "-c", wrapper, "stella",
		strconv.Itoa(cfg.CPUSeconds), strconv.Itoa(cfg.MemoryMiB*1024), strconv.Itoa(cfg.Processes),
		strconv.Itoa(cfg.FileSizeMiB*1024), ready)
	cmd := exec.CommandContext(ctx, bwrap, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if asRoot {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: sandboxUID, Gid: sandboxUID, Groups: []uint32{}}
	}
	// Killing bwrap's process group ends the sandbox: its pid 1 dies with
	// its parent (--die-with-parent) and takes the whole pid namespace along.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second

	pr, pw, err := os.Pipe()
	if err != nil {
		return Output{}, Retriable(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return Output{}, fmt.Errorf("%w: %v", ErrNoSandbox, err)
	}
	pw.Close()

	tail := &TailBuffer{}
	started := make(chan bool, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		copyLines(pr, ready, started, mask, in.Log, tail)
	}()
	waitErr := cmd.Wait()
	select {
	case <-copied:
	case <-time.After(5 * time.Second): // a descendant kept the pipe open
	}
	pr.Close()
	<-copied

	sandboxed := false
	select {
	case sandboxed = <-started:
	default:
	}
	code := cmd.ProcessState.ExitCode()
	fail := func(format string, args ...any) (Output, error) {
		err := fmt.Errorf("script %s; last lines:\n%s", fmt.Sprintf(format, args...), strings.Join(tail.LastLines(20), "\n"))
		if cfg.Retriable {
			err = Retriable(err)
		}
		return Output{Values: map[string]any{"exitCode": code}}, err
	}
	switch {
	case parent.Err() != nil:
		return Output{}, parent.Err()
	case context.Cause(ctx) == errScriptTimeout && waitErr != nil:
		// Like a node timeout (release.md §3 rule 5), retriable.
		out, err := fail("timed out after %vs (killed)%s", cfg.TimeoutSeconds, processNote(tail, cfg.Processes))
		return out, Retriable(err)
	case !sandboxed:
		if code == 125 || code == 126 { // the sandbox came up; the wrapper failed
			return Output{}, fmt.Errorf("script sandbox setup failed%s: %s", signalNote(code), strings.Join(tail.LastLines(5), " | "))
		}
		return Output{}, fmt.Errorf("%w: %s", ErrNoSandbox, strings.Join(tail.LastLines(5), " | "))
	case code != 0:
		return fail("exited with code %d%s%s", code, signalNote(code), processNote(tail, cfg.Processes))
	}
	values, err := readOutputs(filepath.Join(out, "output"), mask)
	if err != nil {
		return Output{}, err
	}
	values["exitCode"] = 0
	return Output{Values: values}, nil
}

var errScriptTimeout = errors.New("script timeout")

// signalNote explains the exit codes bwrap reports for a killed script.
func signalNote(code int) string {
	switch code {
	case 128 + int(syscall.SIGXCPU):
		return " (CPU time limit)"
	case 128 + int(syscall.SIGXFSZ):
		return " (file size limit)"
	case 128 + int(syscall.SIGKILL):
		return " (killed)"
	case 125:
		return " (could not set the resource limits)"
	case 126:
		return " (could not set the environment)"
	}
	return ""
}

// workDir makes a fresh directory holding the sandbox's /work, its output
// directory, the script and its environment file.
func workDir(tempDir, script string, env []string, asRoot bool) (string, error) {
	dir, err := os.MkdirTemp(tempDir, "stella-script-")
	if err != nil {
		return "", err
	}
	if err := fillWorkDir(dir, script, env, asRoot); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

func fillWorkDir(dir, script string, env []string, asRoot bool) error {
	for _, d := range []string{"work", "out"} {
		d = filepath.Join(dir, d)
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
		if asRoot {
			if err := os.Chown(d, sandboxUID, sandboxUID); err != nil {
				return err
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "script.sh"), []byte(script), 0o444); err != nil {
		return err
	}
	// The script's environment travels in a file, not in bwrap's own
	// environment (LD_PRELOAD and friends would act on bwrap outside the
	// sandbox, BASH_ENV on the wrapper before its limits) nor in argv
	// (secrets would show in ps).
	if err := writeEnvFile(filepath.Join(dir, "env"), env, asRoot); err != nil {
		return err
	}
	// uid 65534 must reach work, out and the script, without listing them.
	return os.Chmod(dir, 0o711)
}

// processNote names the process limit when bash reported failed forks.
func processNote(tail *TailBuffer, limit int) string {
	for _, l := range tail.LastLines(20) {
		if strings.Contains(l, "fork: ") {
			return fmt.Sprintf(" (could not start more processes: the limit is %d)", limit)
		}
	}
	return ""
}

// sandboxArgs are bwrap's arguments up to the command.
func sandboxArgs(cfg scriptConfig, work, out, script string, mapUID bool) []string {
	a := []string{"--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
		"--hostname", "stella-script"}
	if cfg.Network {
		a = append(a, "--share-net")
	}
	if mapUID {
		a = append(a, "--uid", strconv.Itoa(sandboxUID), "--gid", strconv.Itoa(sandboxUID))
	}
	a = append(a, "--ro-bind", "/usr", "/usr")
	for _, p := range []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		fi, err := os.Lstat(p)
		switch {
		case err != nil:
		case fi.Mode()&os.ModeSymlink != 0:
			if target, err := os.Readlink(p); err == nil {
				a = append(a, "--symlink", target, p)
			}
		case fi.IsDir():
			a = append(a, "--ro-bind", p, p)
		}
	}
	etc := []string{"/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
		"/etc/ssl", "/etc/ca-certificates", "/etc/localtime", "/etc/nsswitch.conf"}
	if cfg.Network {
		etc = append(etc, "/etc/resolv.conf", "/etc/hosts")
	}
	for _, p := range etc {
		a = append(a, "--ro-bind-try", p, p)
	}
	return append(a,
		"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
		"--bind", work, "/work", "--bind", out, "/stella/out",
		"--ro-bind", script, "/stella/script.sh",
		"--ro-bind", filepath.Join(filepath.Dir(script), "env"), "/stella/env",
		"--remount-ro", "/", // the tmpfs bwrap made to hold the mount points
		"--chdir", "/work")
}

// scriptEnv is the sandbox's whole environment, sorted.
func scriptEnv(cfg scriptConfig, in Input) ([]string, error) {
	env := map[string]string{
		"PATH":           "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
		"HOME":           "/work",
		"LANG":           "C.UTF-8",
		"STELLA_OUTPUT":  outputInside,
		"STELLA_RUN_ID":  in.RunID,
		"STELLA_NODE_ID": in.NodeID,
	}
	for k, v := range cfg.Env {
		env[k] = v
	}
	for _, k := range slices.Sorted(mapKeys(in.Secrets)) {
		if !envName.MatchString(k) || strings.HasPrefix(k, "STELLA_") || slices.Contains(bashReadonly, k) {
			return nil, fmt.Errorf("secret %q: not usable as an environment variable name", k)
		}
		if _, dup := cfg.Env[k]; dup {
			return nil, invalid("env."+k, "also the name of a secret")
		}
		if strings.ContainsRune(in.Secrets[k], 0) {
			return nil, fmt.Errorf("secret %q contains a NUL byte", k)
		}
		env[k] = in.Secrets[k]
	}
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(mapKeys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out, nil
}

// writeEnvFile writes NUL-terminated NAME=value entries, readable by the
// sandbox uid only.
func writeEnvFile(path string, env []string, asRoot bool) error {
	var b strings.Builder
	for _, kv := range env {
		b.WriteString(kv)
		b.WriteByte(0)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o400); err != nil {
		return err
	}
	if asRoot {
		return os.Chown(path, sandboxUID, sandboxUID)
	}
	return nil
}

// masker replaces every secret value with ***, longest first so a secret
// containing another is masked whole.
func masker(secrets map[string]string) func(string) string {
	var vals []string
	for _, v := range secrets {
		if v != "" {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return func(s string) string { return s }
	}
	slices.SortFunc(vals, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	pairs := make([]string, 0, 2*len(vals))
	for _, v := range vals {
		pairs = append(pairs, v, "***")
	}
	return strings.NewReplacer(pairs...).Replace
}

// copyLines streams the sandbox's output line by line, masked, to log and
// tail. A line equal to ready (a nonce) proves the sandbox came up and set
// its limits before the script ran; it is not logged.
func copyLines(r io.Reader, ready string, started chan<- bool, mask func(string) string, log io.Writer, tail *TailBuffer) {
	br := bufio.NewReaderSize(r, 64<<10)
	seen := false
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			text := string(line)
			if !seen && strings.TrimSuffix(text, "\n") == ready {
				seen = true
				started <- true
			} else {
				if !strings.HasSuffix(text, "\n") {
					text += "\n" // a line cut at the buffer size, or the last one
				}
				text = mask(text)
				tail.Write([]byte(text))
				if log != nil {
					io.WriteString(log, text)
				}
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// readOutputs reads the KEY=VALUE lines of $STELLA_OUTPUT. The script may
// have left a symlink or a fifo there: it is opened without following
// links and must be a regular file.
func readOutputs(path string, mask func(string) string) (map[string]any, error) {
	values := map[string]any{}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, os.ErrNotExist) {
		return values, nil
	}
	if err != nil {
		return nil, fmt.Errorf("$STELLA_OUTPUT: %v", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("$STELLA_OUTPUT is not a regular file")
	}
	if fi.Size() > maxOutput {
		return nil, fmt.Errorf("$STELLA_OUTPUT is larger than %d bytes", maxOutput)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxOutput+1))
	if err != nil {
		return nil, err
	}
	return parseOutputs(data, mask)
}

var outputKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// parseOutputs parses KEY=VALUE lines; blank lines are skipped, a later
// line wins over an earlier one with the same key.
func parseOutputs(data []byte, mask func(string) string) (map[string]any, error) {
	values := map[string]any{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		switch {
		case !ok || !outputKey.MatchString(k):
			return nil, fmt.Errorf("$STELLA_OUTPUT line %d: want KEY=VALUE with KEY of letters, digits, _ . -", i+1)
		case k == "exitCode":
			return nil, fmt.Errorf("$STELLA_OUTPUT line %d: exitCode is set by the step", i+1)
		}
		values[k] = mask(v)
	}
	return values, nil
}
