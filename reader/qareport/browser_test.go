package qareport

import (
	"context"
	"encoding/json"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sightline/internal/notrun"
)

// printableWidth is an A4 page's width inside the report's 12 mm margins, in CSS pixels.
const printableWidth = 703

// checkScript measures a page once it has loaded: the pictures that did not load, and every
// element reaching past the viewport's right edge. It writes its findings into the DOM for
// --dump-dom to show.
const checkScript = `<script>
addEventListener('load', () => {
  const imgs = [...document.images];
  const broken = imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src'));
  const w = document.documentElement.clientWidth;
  const over = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > w + 0.5)
    .map(e => e.tagName + ' ' + (e.id || e.className) + ' right=' + Math.round(e.getBoundingClientRect().right));
  const r = document.createElement('pre');
  r.id = 'qa-check';
  r.textContent = JSON.stringify({images: imgs.length, broken, width: w, scrollWidth: document.documentElement.scrollWidth, over: over.slice(0, 10)});
  document.body.appendChild(r);
});
</script>`

type pageCheck struct {
	Images      int      `json:"images"`
	Broken      []string `json:"broken"`
	Width       int      `json:"width"`
	ScrollWidth int      `json:"scrollWidth"`
	Over        []string `json:"over"`
}

func chromium(t *testing.T) string {
	t.Helper()
	for _, b := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(b); err == nil {
			return p
		}
	}
	notrun.Skip(t, "chromium not installed (scripts/deps.sh test installs it)")
	return ""
}

// runChromium runs headless chromium with a private profile and returns its standard output.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--hide-scrollbars", "--user-data-dir=" + t.TempDir(),
		"--window-size=" + strconv.Itoa(printableWidth) + ",1000"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// TestReportInBrowser opens every page of the report in Debian's chromium, headless, at an A4
// page's printable width: every picture loads and nothing reaches past the page's width. Each
// page is also printed to PDF and its first page rendered: ink on the page, none in the
// right margin.
func TestReportInBrowser(t *testing.T) {
	bin := chromium(t)
	dir, ids, release := badStudy(t)
	defer release()
	out, _ := writeReport(t, dir, ids)
	pages, err := filepath.Glob(filepath.Join(out, "*.html"))
	must(t, err)
	if len(pages) != 6 {
		t.Fatalf("%d pages, want the index and 5 sessions: %v", len(pages), pages)
	}
	pdfs := os.Getenv("SIGHTLINE_REPORT_PDF") // keep the PDFs there to look at them
	for _, page := range pages {
		name := filepath.Base(page)
		t.Run(name, func(t *testing.T) {
			// A copy beside it, so that its pictures resolve as the page's own, with the script.
			html := read(t, page)
			check := filepath.Join(out, ".check-"+name)
			must(t, os.WriteFile(check, []byte(strings.Replace(html, "</body>", checkScript+"</body>", 1)), 0o644))
			defer os.Remove(check)
			dom := string(runChromium(t, bin, "--virtual-time-budget=10000", "--dump-dom", "file://"+check))
			m := regexp.MustCompile(`(?s)<pre id="qa-check">(.*?)</pre>`).FindStringSubmatch(dom)
			if m == nil {
				t.Fatalf("the check did not run; DOM:\n%.2000s", dom)
			}
			var pc pageCheck
			must(t, json.Unmarshal([]byte(unescape(m[1])), &pc))
			t.Logf("%s: %+v", name, pc)
			wantImgs := strings.Count(html, "<img ")
			if pc.Images != wantImgs || len(pc.Broken) > 0 {
				t.Errorf("%d of %d pictures shown; broken: %v", pc.Images-len(pc.Broken), wantImgs, pc.Broken)
			}
			if name != IndexFile && wantImgs == 0 {
				t.Errorf("a session page without pictures")
			}
			if pc.Width > printableWidth || pc.ScrollWidth > pc.Width || len(pc.Over) > 0 {
				t.Errorf("overflows the page width %d: scroll width %d, elements %v", pc.Width, pc.ScrollWidth, pc.Over)
			}

			pdf := filepath.Join(t.TempDir(), name+".pdf")
			if pdfs != "" {
				must(t, os.MkdirAll(pdfs, 0o755))
				pdf = filepath.Join(pdfs, name+".pdf")
			}
			runChromium(t, bin, "--no-pdf-header-footer", "--print-to-pdf="+pdf, "file://"+page)
			if _, err := exec.LookPath("pdftoppm"); err != nil {
				notrun.Skip(t, "pdftoppm not installed (poppler-utils)")
			}
			png := filepath.Join(t.TempDir(), "p")
			if b, err := exec.Command("pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", pdf, png).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v: %s", err, b)
			}
			f, err := os.Open(png + ".png")
			must(t, err)
			img, _, err := image.Decode(f)
			f.Close()
			must(t, err)
			b := img.Bounds()
			// At 40 dpi a 12 mm margin is 18 px: ink in the last 14 px is content past the page.
			margin := b.Max.X - 14
			ink, inMargin := 0, 0
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					r, g, bl, _ := img.At(x, y).RGBA()
					if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
						ink++
						if x >= margin {
							inMargin++
						}
					}
				}
			}
			if ink < 200 || inMargin > 0 {
				t.Errorf("printed first page (%v): %d inked pixels, %d in the right margin", b, ink, inMargin)
			}
		})
	}
}

// unescape undoes the HTML escaping of --dump-dom's text content.
func unescape(s string) string {
	return strings.NewReplacer("&quot;", `"`, "&lt;", "<", "&gt;", ">", "&#39;", "'", "&amp;", "&").Replace(s)
}
