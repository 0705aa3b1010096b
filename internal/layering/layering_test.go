package layering

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// plant is a file added to the tree for the lint alone; want is "RULE: package depends on dep":
// the lint must print the rule and the package on a line that names the dep among those it
// lists, under the heading of each tag set in tags.
type plant struct {
	file, src string
	want      string
	tags      []string // the tag sets whose heading the line must appear under
}

// reported says whether the lint's lines name want's rule, package and dependency together.
func reported(lines, want string) bool {
	head, dep, ok := strings.Cut(want, " depends on ")
	if !ok {
		return strings.Contains(lines, want+"\n")
	}
	for _, l := range strings.Split(lines, "\n") {
		if deps, ok := strings.CutPrefix(l, head+" depends on "); ok {
			for _, d := range strings.Split(deps, ", ") {
				if d == dep {
					return true
				}
			}
		}
	}
	return false
}

var all = []string{"migrated_fynedo", "migrated_fynedo,e2e", "none"}

var plants = []plant{
	{"reader/playback/zz_plant.go", "package playback\nimport _ \"fyne.io/fyne/v2\"\n",
		"L1: sightline/reader/playback depends on fyne.io/fyne/v2", all},
	{"tracker/quality/zz_plant_test.go", "package quality\nimport _ \"fyne.io/fyne/v2\"\n",
		"L1: sightline/tracker/quality depends on fyne.io/fyne/v2", all},
	{"tracker/gazesim/zz_plant.go", "package gazesim\nimport _ \"sightline/reader/wav\"\n",
		"L2: sightline/tracker/gazesim depends on sightline/reader/wav", all},
	{"reader/heatmap/zz_plant.go", "package heatmap\nimport _ \"sightline/app/earlylog\"\n",
		"L3: sightline/reader/heatmap depends on sightline/app/earlylog", all},
	{"reader/playback/zz_plant2_test.go", "package playback_test\nimport _ \"sightline/ui\"\n",
		"L3: sightline/reader/playback depends on sightline/ui", all},
	{"ui/zz_plant.go", "package ui\nimport _ \"sightline/app/earlylog\"\n",
		"L4: sightline/ui depends on sightline/app/earlylog", all},
	{"internal/notrun/zz_plant.go", "package notrun\nimport _ \"sightline/reader/wav\"\n",
		"L5: sightline/internal/notrun depends on sightline/reader/wav", all},
	{"reader/dicomimg/zz_plant.go", "package dicomimg\nimport _ \"sightline/reader/study\"\n",
		"F1: sightline/reader/dicomimg depends on sightline/reader/study", all},
	{"reader/replay/zz_plant.go", "package replay\nimport _ \"sightline/reader/study\"\n",
		"F2: sightline/reader/replay depends on sightline/reader/study", all},
	{"reader/display/zz_plant.go", "package display\nimport _ \"sightline/reader/qa\"\n",
		"F3: sightline/reader/display depends on sightline/reader/qa", all},
	{"reader/newfloor/new.go", "package newfloor\n",
		"F0: sightline/reader/newfloor is on no floor: place it in scripts/layering.sh", all},
	// Seen under one tag set only: the lint must check each.
	{"reader/stage/zz_plant_e2e.go", "//go:build e2e\n\npackage stage\nimport _ \"sightline/app/earlylog\"\n",
		"L3: sightline/reader/stage depends on sightline/app/earlylog", []string{"migrated_fynedo,e2e"}},
	{"reader/atomicfile/zz_plant_nofyne.go", "//go:build !migrated_fynedo\n\npackage atomicfile\nimport _ \"fyne.io/fyne/v2\"\n",
		"L1: sightline/reader/atomicfile depends on fyne.io/fyne/v2", []string{"none"}},
}

// TestPlantedViolations plants one violation of every rule at once and checks that the lint
// fails and names each, under the tag sets that see it and no other. A plant must not close an
// import cycle (go list then fails as a whole): each imports a package that does not depend on
// the one it is planted in.
func TestPlantedViolations(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	replace := map[string]string{}
	for i, p := range plants {
		src := filepath.Join(tmp, strings.ReplaceAll(p.file, "/", "_"))
		if err := os.WriteFile(src, []byte(p.src), 0o644); err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(root, filepath.FromSlash(p.file))
		if _, err := os.Stat(dst); err == nil {
			t.Fatalf("plant %d: %s exists in the tree", i, p.file)
		}
		replace[dst] = src
	}
	overlay := filepath.Join(tmp, "overlay.json")
	b, _ := json.Marshal(map[string]any{"Replace": replace})
	if err := os.WriteFile(overlay, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(root, "scripts", "layering.sh"))
	cmd.Env = append(withoutTags(os.Environ()), "LAYERING_OVERLAY="+overlay)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("the lint with every rule broken: %v, want exit 1\n%s", err, out)
	}
	sections := map[string]string{} // tag set → the lines under its heading
	cur := ""
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "lint: layering broken (tags: "); ok {
			cur = strings.TrimSuffix(rest, "):")
			continue
		}
		sections[cur] += strings.TrimSpace(line) + "\n"
	}
	for _, p := range plants {
		for _, set := range all {
			want := false
			for _, s := range p.tags {
				want = want || s == set
			}
			got := reported(sections[set], p.want)
			if got != want {
				t.Errorf("tags %s: %q reported %v, want %v", set, p.want, got, want)
			}
		}
	}
	if t.Failed() {
		t.Logf("lint output:\n%s", out)
	}
}

// withoutTags drops TAGS and TAGSETS: the lint checks its default tag sets.
func withoutTags(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "TAGS=") && !strings.HasPrefix(e, "TAGSETS=") {
			out = append(out, e)
		}
	}
	return out
}
