package scoring

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestReasonCodesListsEveryCode: ReasonCodes is how other packages learn
// the codes (tickets puts each in words), so a code added to explain.go
// but not to the list would reach an analyst as a bare code. The test
// reads the constants from the source.
func TestReasonCodesListsEveryCode(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "explain.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, sp := range g.Specs {
			vs := sp.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !strings.HasPrefix(n.Name, "Reason") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("%s is not a string literal", n.Name)
				}
				v, _ := strconv.Unquote(lit.Value)
				want = append(want, v)
			}
		}
	}
	got := ReasonCodes()
	if len(want) < 20 {
		t.Fatalf("found only %d reason constants in explain.go: %v", len(want), want)
	}
	if !slices.Equal(got, want) {
		t.Errorf("ReasonCodes() = %v\nconstants in explain.go: %v", got, want)
	}
	got[0] = "changed"
	if ReasonCodes()[0] == "changed" {
		t.Error("ReasonCodes returns the package's own slice")
	}
}
