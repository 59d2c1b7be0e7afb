// Command kubegrade-runc stands in front of runc as Docker's default runtime on hosts
// whose capability bounding set lacks capabilities a privileged container asks for
// (CAP_SYS_RESOURCE on the VMs kubegrade is built on). runc refuses to start such a
// container ("unable to apply caps"), so before handing over it removes from the OCI
// spec every capability this process's bounding set does not hold: config.json of the
// bundle on create/run, the process file on exec. Everything else passes through.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// capNames are the capability numbers of linux/capability.h, as the OCI spec names them.
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

const realRuntime = "/usr/bin/runc"

func main() {
	if err := filterSpec(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "kubegrade-runc: %v\n", err)
		os.Exit(1)
	}
	runtime := realRuntime
	if env := os.Getenv("KUBEGRADE_REAL_RUNC"); env != "" {
		runtime = env
	}
	args := append([]string{runtime}, os.Args[1:]...)
	if err := syscall.Exec(runtime, args, os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "kubegrade-runc: exec %s: %v\n", runtime, err)
		os.Exit(1)
	}
}

// filterSpec finds the spec file the runc command line refers to, if any, and
// removes the capabilities the host cannot grant.
func filterSpec(args []string) error {
	command, rest := subcommand(args)
	var file string
	switch command {
	case "create", "run":
		bundle := flagValue(rest, "bundle", "b")
		if bundle == "" {
			bundle = "."
		}
		file = filepath.Join(bundle, "config.json")
	case "exec":
		file = flagValue(rest, "process", "p")
	}
	if file == "" {
		return nil
	}
	allowed, err := boundingSet()
	if err != nil {
		return err
	}
	return rewrite(file, command == "exec", allowed)
}

// subcommand skips runc's global options (all take a value except the boolean ones).
func subcommand(args []string) (string, []string) {
	booleans := map[string]bool{"--debug": true, "--systemd-cgroup": true, "--rootless": false}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return a, args[i+1:]
		}
		if strings.Contains(a, "=") || booleans[a] || a == "--help" || a == "-h" || a == "--version" || a == "-v" {
			continue
		}
		i++ // the option's value
	}
	return "", nil
}

func flagValue(args []string, long, short string) string {
	for i, a := range args {
		for _, name := range []string{"--" + long, "-" + long, "-" + short} {
			if a == name && i+1 < len(args) {
				return args[i+1]
			}
			if strings.HasPrefix(a, name+"=") {
				return strings.TrimPrefix(a, name+"=")
			}
		}
	}
	return ""
}

func boundingSet() (map[string]bool, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if hex, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			if err != nil {
				return nil, fmt.Errorf("reading CapBnd: %w", err)
			}
			allowed := map[string]bool{}
			for bit, name := range capNames {
				if mask&(1<<uint(bit)) != 0 {
					allowed[name] = true
				}
			}
			return allowed, nil
		}
	}
	return nil, fmt.Errorf("no CapBnd in /proc/self/status")
}

func rewrite(file string, isProcess bool, allowed map[string]bool) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	process := doc
	if !isProcess {
		p, ok := doc["process"].(map[string]any)
		if !ok {
			return nil
		}
		process = p
	}
	caps, ok := process["capabilities"].(map[string]any)
	if !ok {
		return nil
	}
	changed := false
	for set, list := range caps {
		names, ok := list.([]any)
		if !ok {
			continue
		}
		kept := make([]any, 0, len(names))
		for _, n := range names {
			if s, ok := n.(string); ok && !allowed[s] && known(s) {
				changed = true
				continue
			}
			kept = append(kept, n)
		}
		caps[set] = kept
	}
	if !changed {
		return nil
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(file, out, 0o600)
}

// known keeps capabilities this table does not list (newer kernels): runc decides.
func known(name string) bool {
	for _, n := range capNames {
		if n == name {
			return true
		}
	}
	return false
}
