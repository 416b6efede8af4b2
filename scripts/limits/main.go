// Command limits fails when the house's size limits are broken in non-test Go
// code: a file over 900 lines or a function over 120 lines (STYLE.md). go vet
// and staticcheck say nothing about size, so this small check does; go/ast
// counts a function from its func keyword to its closing brace, which a
// regexp over the text cannot do reliably.
//
//	go run ./scripts/limits [-allow scripts/limits/allow.txt] [dir]
//
// The allow-list names known offenders, one a line ("path" for a file,
// "path:Func" or "path:Recv.Func" for a function) with the reason after a
// "#". An entry that no longer offends is reported too, so that the list is
// emptied as the offenders are split, not kept for ever.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

const (
	maxFileLines = 900
	maxFuncLines = 120
)

func main() {
	allowPath := flag.String("allow", "scripts/limits/allow.txt", "allow-list of known offenders")
	flag.Parse()
	root := "."
	if flag.NArg() > 0 {
		root = flag.Arg(0)
	}
	allow, err := readAllow(*allowPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "limits:", err)
		os.Exit(2)
	}
	found, err := check(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "limits:", err)
		os.Exit(2)
	}
	problems := judge(found, allow)
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "limits:", p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}

// offence is one file or function over its limit; key is how the allow-list
// names it.
type offence struct {
	key   string
	lines int
	limit int
}

func (o offence) String() string {
	return fmt.Sprintf("%s is %d lines (limit %d)", o.key, o.lines, o.limit)
}

// check walks root's non-test Go files and returns what is over a limit,
// sorted by key. Folders whose code is not the app's own (node_modules of
// the end-to-end tests, testdata, hidden ones like .bin) are skipped.
func check(root string) ([]offence, error) {
	var found []offence
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		got, err := checkFile(fset, path, filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		found = append(found, got...)
		return nil
	})
	sort.Slice(found, func(i, j int) bool { return found[i].key < found[j].key })
	return found, err
}

func checkFile(fset *token.FileSet, path, rel string) ([]offence, error) {
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var found []offence
	if n := fset.File(f.Pos()).LineCount(); n > maxFileLines {
		found = append(found, offence{key: rel, lines: n, limit: maxFileLines})
	}
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
		if n > maxFuncLines {
			found = append(found, offence{key: rel + ":" + funcName(fn), lines: n, limit: maxFuncLines})
		}
	}
	return found, nil
}

// funcName is Func, or Recv.Func for a method (the receiver's type name
// without its star or type parameters).
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}

// readAllow reads the allow-list; a missing file is an empty list.
func readAllow(path string) (map[string]bool, error) {
	allow := map[string]bool{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return allow, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line != "" {
			allow[line] = true
		}
	}
	return allow, sc.Err()
}

// judge returns one sentence for each offence not allowed and for each
// allow-list entry that no longer offends (stale entries would hide a new
// offence of the same name later).
func judge(found []offence, allow map[string]bool) []string {
	var problems []string
	seen := map[string]bool{}
	for _, o := range found {
		seen[o.key] = true
		if !allow[o.key] {
			problems = append(problems, o.String()+": split it into named steps or files")
		}
	}
	var stale []string
	for key := range allow {
		if !seen[key] {
			stale = append(stale, key)
		}
	}
	sort.Strings(stale)
	for _, key := range stale {
		problems = append(problems, key+" is in the allow-list but within the limits now: remove it from the list")
	}
	return problems
}
