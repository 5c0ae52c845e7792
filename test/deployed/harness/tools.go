package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Tool returns the path of a pinned tool: the environment variable env when set, else what
// `hack/tools.sh name` prints (it builds the tool on first use). An error says how to provide it.
func Tool(root, name, env string) (string, error) {
	bin := os.Getenv(env)
	if bin == "" {
		var stderr bytes.Buffer
		cmd := exec.Command(filepath.Join(root, "hack", "tools.sh"), name) //nolint:gosec // the repository's own script
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("%s is not available (hack/tools.sh %s: %w: %s); "+
				"run 'hack/tools.sh all' (CI does) or 'hack/tools.sh %s' once, or set %s to its path",
				name, name, err, strings.TrimSpace(stderr.String()), name, env)
		}
		bin = strings.TrimSpace(string(out))
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() { //nolint:gosec // a tool path the developer or hack/tools.sh gave
		return "", fmt.Errorf("%s binary %q is not available: run 'hack/tools.sh all' (CI does) or 'hack/tools.sh %s'", name, bin, name)
	}
	return bin, nil
}

// KustomizeBuild renders config/default as `make deploy` does.
func KustomizeBuild(root string) ([]byte, error) {
	bin, err := Tool(root, "kustomize", "KUSTOMIZE")
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "build", filepath.Join(root, "config", "default")) //nolint:gosec // the pinned kustomize
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("kustomize build config/default: %w: %s", err, stderr.String())
	}
	return out, nil
}
