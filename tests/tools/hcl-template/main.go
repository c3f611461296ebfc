// hcl-template renders templates with HashiCorp's own HCL implementation (the one Terraform's
// templatefile() uses), as the reference tests/tests/templates.rs holds hl's template() to.
//
// Standard input: a JSON array of cases, each {"template": "...", "vars": {...}}. Standard
// output: a JSON array of results in the same order, each {"out": "..."} or {"error": "..."}.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

type testCase struct {
	Template string          `json:"template"`
	Vars     json.RawMessage `json:"vars"`
}

type result struct {
	Out   *string `json:"out,omitempty"`
	Error string  `json:"error,omitempty"`
}

func render(c testCase) result {
	vars := map[string]cty.Value{}
	if len(c.Vars) > 0 {
		ty, err := ctyjson.ImpliedType(c.Vars)
		if err != nil {
			return result{Error: "vars: " + err.Error()}
		}
		v, err := ctyjson.Unmarshal(c.Vars, ty)
		if err != nil {
			return result{Error: "vars: " + err.Error()}
		}
		if !v.Type().IsObjectType() {
			return result{Error: "vars: not an object"}
		}
		vars = v.AsValueMap()
	}
	expr, diags := hclsyntax.ParseTemplate([]byte(c.Template), "template", hcl.Pos{Line: 1, Column: 1, Byte: 0})
	if diags.HasErrors() {
		return result{Error: diags.Error()}
	}
	v, diags := expr.Value(&hcl.EvalContext{Variables: vars})
	if diags.HasErrors() {
		return result{Error: diags.Error()}
	}
	if !v.Type().Equals(cty.String) {
		return result{Error: fmt.Sprintf("the template gives a %s, not a string", v.Type().FriendlyName())}
	}
	s := v.AsString()
	return result{Out: &s}
}

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var cases []testCase
	if err := json.Unmarshal(input, &cases); err != nil {
		fmt.Fprintln(os.Stderr, "input:", err)
		os.Exit(1)
	}
	results := make([]result, len(cases))
	for i, c := range cases {
		results[i] = render(c)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
