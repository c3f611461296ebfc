// k8s-yaml reads YAML files the way kubectl and the Kubernetes API machinery read manifests
// (sigs.k8s.io/yaml: YAML to JSON) and writes, for each file named on standard input (one path
// per line), one line of JSON: {"path": ..., "json": <the document as JSON>} or
// {"path": ..., "error": ...}. The tests compare that JSON with what hlc meant to write.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

type result struct {
	Path  string          `json:"path"`
	JSON  json.RawMessage `json:"json,omitempty"`
	Error string          `json:"error,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for in.Scan() {
		path := in.Text()
		r := result{Path: path}
		if text, err := os.ReadFile(path); err != nil {
			r.Error = err.Error()
		} else if j, err := yaml.YAMLToJSON(text); err != nil {
			r.Error = err.Error()
		} else {
			r.JSON = j
		}
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
