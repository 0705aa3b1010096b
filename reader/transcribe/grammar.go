package transcribe

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Grammar is the project's grammar of report language (model/grammar.txt): rules of weighted
// alternatives, each a sequence of words and references to rules.
type Grammar map[string][]alternative

type alternative struct {
	weight int
	items  []string // words, and rule names prefixed with "$"
}

// ReadGrammar reads the grammar form of model/grammar.txt: "name = alt | alt …", continued on
// lines starting with "|"; "N*" weights an alternative, "-" is the empty one, "$name" refers
// to a rule. Errors name the line: a word that is not a dictionary word, a weight that is not
// a positive number, a rule defined twice, a reference to no rule, and a grammar without main.
func ReadGrammar(r io.Reader, name string) (Grammar, error) {
	g := Grammar{}
	defined := map[string]int{}
	refs := map[string]int{} // rule → first line referring to it
	cur := ""
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var body string
		if rest, ok := strings.CutPrefix(line, "|"); ok {
			if cur == "" {
				return nil, fmt.Errorf("%s:%d: a continuation before any rule", name, n)
			}
			body = rest
		} else {
			lhs, rhs, ok := strings.Cut(line, "=")
			lhs = strings.TrimSpace(lhs)
			if !ok || lhs == "" || strings.ContainsAny(lhs, " \t$|") {
				return nil, fmt.Errorf("%s:%d: %q: want \"name = alternatives\"", name, n, line)
			}
			if at, dup := defined[lhs]; dup {
				return nil, fmt.Errorf("%s:%d: rule %q is already defined on line %d", name, n, lhs, at)
			}
			defined[lhs] = n
			cur, body = lhs, rhs
		}
		for _, alt := range strings.Split(body, "|") {
			f := strings.Fields(alt)
			if len(f) == 0 {
				continue // "a |" at the end of a line continues on the next
			}
			a := alternative{weight: 1}
			if w, ok := strings.CutSuffix(f[0], "*"); ok {
				k, err := strconv.Atoi(w)
				if err != nil || k < 1 || k > 1000 {
					return nil, fmt.Errorf("%s:%d: weight %q: want 1* to 1000*", name, n, f[0])
				}
				a.weight, f = k, f[1:]
			}
			for _, it := range f {
				switch {
				case it == "-" && len(f) == 1:
				case strings.HasPrefix(it, "$"):
					if _, seen := refs[it[1:]]; !seen {
						refs[it[1:]] = n
					}
					a.items = append(a.items, it)
				case Token(it) != it:
					return nil, fmt.Errorf("%s:%d: %q is not a dictionary word (lower case letters, digits and apostrophes)", name, n, it)
				default:
					a.items = append(a.items, it)
				}
			}
			g[cur] = append(g[cur], a)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for r, n := range refs {
		if _, ok := g[r]; !ok {
			return nil, fmt.Errorf("%s:%d: $%s refers to no rule", name, n, r)
		}
	}
	if _, ok := g["main"]; !ok {
		return nil, fmt.Errorf("%s: no rule main (where a sentence starts)", name)
	}
	return g, nil
}

// maxDepth bounds an expansion: a grammar that recurses deeper is an error, not a hang.
const maxDepth = 30

// Generate expands main n times with a fixed seed: the same grammar always gives the same
// sentences.
func (g Grammar) Generate(n int, seed uint64) ([][]string, error) {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	out := make([][]string, 0, n)
	for len(out) < n {
		s, err := g.expand(r, "main", 0, nil)
		if err != nil {
			return nil, err
		}
		if len(s) > 0 {
			out = append(out, s)
		}
	}
	return out, nil
}

func (g Grammar) expand(r *rand.Rand, rule string, depth int, out []string) ([]string, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("grammar: rule %q recurses deeper than %d", rule, maxDepth)
	}
	alts := g[rule]
	total := 0
	for _, a := range alts {
		total += a.weight
	}
	k := r.IntN(total)
	var a alternative
	for _, a = range alts {
		if k -= a.weight; k < 0 {
			break
		}
	}
	for _, it := range a.items {
		if ref, ok := strings.CutPrefix(it, "$"); ok {
			var err error
			if out, err = g.expand(r, ref, depth+1, out); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, it)
	}
	return out, nil
}

// Words is every word the grammar can produce, sorted.
func (g Grammar) Words() []string {
	var w []string
	for _, alts := range g {
		for _, a := range alts {
			for _, it := range a.items {
				if !strings.HasPrefix(it, "$") {
					w = append(w, it)
				}
			}
		}
	}
	slices.Sort(w)
	return slices.Compact(w)
}
