package engine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every type that is an Event is exported: the channel Send returns is the
// public API, and a private value travelling through it (as the answer's
// last write once did) is one its readers can neither name nor handle. The
// engine's internal hand-offs go by callbacks (streamRequest.settle).
func TestEveryEventTypeIsPublic(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != "event" || len(fn.Recv.List) != 1 {
				continue
			}
			typ := fn.Recv.List[0].Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			id, ok := typ.(*ast.Ident)
			if !ok {
				t.Errorf("%s: event() on an unexpected receiver %T", fset.Position(fn.Pos()), typ)
				continue
			}
			found[id.Name] = true
			if !ast.IsExported(id.Name) {
				t.Errorf("%s: %s is an Event but not exported: internal values must not travel as public events", fset.Position(fn.Pos()), id.Name)
			}
		}
	}
	// The scan must see the events it guards, or it proves nothing.
	for _, want := range []string{"Started", "Delta", "Done", "Failed", "Stopped", "Compressed"} {
		if !found[want] {
			t.Errorf("the scan did not find %s's event method (found %v)", want, found)
		}
	}
}
