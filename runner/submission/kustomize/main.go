// kubegrade-kustomize builds a submission's kustomization with kustomize's own engine (krusty,
// the library inside `kustomize build` and `kubectl apply -k`), on an in-memory copy of the
// submission: the files the grader read are the only files it can see, so nothing outside the
// submission is read. Remote resources are refused: no HTTP transport, no git.
//
// stdin:  {"root": "relative dir of the kustomization", "files": {"relative path": base64 bytes}}
// stdout: the built objects as a YAML stream, each with its origin annotation
// stderr: kustomize's error, paths relative to the submission; exit code 1
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

const mount = "/submission"

type input struct {
	Root  string            `json:"root"`
	Files map[string][]byte `json:"files"`
}

// refuseNetwork answers every HTTP request kustomize would make (a remote file resource).
type refuseNetwork struct{}

func (refuseNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, errors.New("kubegrade: remote resource " + r.URL.String() + " refused (the grader builds kustomizations offline)")
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, strings.ReplaceAll(message, mount+"/", ""))
	os.Exit(1)
}

func main() {
	http.DefaultTransport = refuseNetwork{}
	// Without git on the PATH a remote base cannot be cloned.
	os.Setenv("PATH", "")

	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail("kubegrade-kustomize: bad input: " + err.Error())
	}
	fs := filesys.MakeFsInMemory()
	for name, content := range in.Files {
		full := path.Join(mount, name)
		if err := fs.MkdirAll(path.Dir(full)); err != nil {
			fail(err.Error())
		}
		if err := fs.WriteFile(full, content); err != nil {
			fail(err.Error())
		}
	}
	root := path.Join(mount, in.Root)
	if err := withOriginAnnotations(fs, root); err != nil {
		fail(err.Error())
	}
	options := krusty.MakeDefaultOptions() // what kubectl apply -k uses: root-only loading, no plugins, no helm
	built, err := krusty.MakeKustomizer(options).Run(fs, root)
	if err != nil {
		fail(err.Error())
	}
	out, err := built.AsYaml()
	if err != nil {
		fail(err.Error())
	}
	os.Stdout.Write(out)
}

// withOriginAnnotations asks kustomize to note, on each object, the file it came from
// (buildMetadata: [originAnnotations]), so that the grader's messages can name that file.
// Only the in-memory copy is changed; the grader removes the annotation again.
func withOriginAnnotations(fs filesys.FileSystem, root string) error {
	for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		file := path.Join(root, name)
		if !fs.Exists(file) {
			continue
		}
		data, err := fs.ReadFile(file)
		if err != nil {
			return err
		}
		var k map[string]interface{}
		if err := yaml.Unmarshal(data, &k); err != nil || k == nil {
			return nil // kustomize itself reports what is wrong with it
		}
		metadata, _ := k["buildMetadata"].([]interface{})
		for _, m := range metadata {
			if m == "originAnnotations" {
				return nil
			}
		}
		k["buildMetadata"] = append(metadata, "originAnnotations")
		data, err = yaml.Marshal(k)
		if err != nil {
			return err
		}
		return fs.WriteFile(file, data)
	}
	return nil
}
