package tools

import (
	"regexp"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/engine"
)

var validName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func TestFunctionNames(t *testing.T) {
	long := strings.Repeat("x", 80)
	for _, c := range []struct{ server, tool, want string }{
		{"fs", "read_file", "fs__read_file"},
		{"my server", "get.weather", "my_server__get_weather"},
		{"", "", "____"},
		{"héllo", "tool/ü", "h_llo__tool__"},
	} {
		if got := FunctionName(c.server, c.tool); got != c.want {
			t.Errorf("FunctionName(%q, %q) = %q; want %q", c.server, c.tool, got, c.want)
		}
	}
	a, b := FunctionName("srv", long+"a"), FunctionName("srv", long+"b")
	if !validName.MatchString(a) || !validName.MatchString(b) || a == b {
		t.Fatalf("long names %q and %q: want two valid, different names", a, b)
	}
}

func TestNamesAreUniqueAndMapBack(t *testing.T) {
	long := strings.Repeat("y", 70)
	infos := []engine.ToolInfo{
		{Server: "a b", Name: "t"}, {Server: "a_b", Name: "t"}, {Server: "a.b", Name: "t"},
		{Server: "s", Name: long}, {Server: "s", Name: long + "!"},
	}
	n := NewNames(infos)
	seen := map[string]bool{}
	for _, ti := range infos {
		fn := n.Function(ti.Server, ti.Name)
		if !validName.MatchString(fn) || seen[fn] {
			t.Fatalf("%s/%s named %q: invalid or taken (%v)", ti.Server, ti.Name, fn, seen)
		}
		seen[fn] = true
		if s, tool, ok := n.Lookup(fn); !ok || s != ti.Server || tool != ti.Name {
			t.Fatalf("Lookup(%q) = %q, %q, %v", fn, s, tool, ok)
		}
		if again := n.Add(ti.Server, ti.Name); again != fn {
			t.Fatalf("Add again gave %q, first %q", again, fn)
		}
	}
	if _, _, ok := n.Lookup("nobody__nothing"); ok {
		t.Fatal("an unknown name was found")
	}
	var zero Names
	if _, _, ok := zero.Lookup("x"); ok || zero.Function("a", "b") != "" {
		t.Fatal("the zero Names is not empty")
	}
}
