package qareport

import (
	"fmt"
	"html/template"
	"image"
	"image/draw"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	xdraw "golang.org/x/image/draw"

	"sightline/reader/atomicfile"
	"sightline/reader/session"
)

// imgDir holds the report's pictures, a folder per session.
const imgDir = "img"

// IndexFile is the report's first page.
const IndexFile = "index.html"

// fileName keeps a folder name safe as a file name and in a link.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}

func pageName(id string) string { return "session-" + fileName(id) + ".html" }

func xdrawScale(dst *image.RGBA, src image.Image) {
	draw.Draw(dst, dst.Bounds(), image.Black, image.Point{}, draw.Src)
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Over, nil)
}

const css = `
@page { size: A4; margin: 12mm; }
* { box-sizing: border-box; }
body { font: 12px/1.4 "DejaVu Sans", "Liberation Sans", sans-serif; color: #111; margin: 0 auto; padding: 8px; max-width: 190mm; }
h1 { font-size: 18px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 14px 0 4px; border-bottom: 2px solid #333; }
h3 { font-size: 13px; margin: 0 0 4px; }
p, li, td, th { overflow-wrap: anywhere; }
a { color: #0645ad; }
.meta { color: #444; margin: 0 0 6px; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border: 1px solid #bbb; padding: 2px 4px; text-align: left; vertical-align: top; }
th { background: #eee; }
.problems { color: #a00; margin: 4px 0; padding-left: 18px; }
.none { color: #070; }
.case { break-inside: avoid; page-break-inside: avoid; border-top: 1px solid #999; padding-top: 6px; margin-top: 10px; }
.pics { display: flex; gap: 6px; align-items: flex-start; margin: 4px 0; }
.pics figure { margin: 0; }
.pics .replay { flex: 0 1 63%; }
.pics .heat { flex: 0 1 35%; }
.pics img { display: block; width: 100%; height: auto; }
figcaption { font-size: 10px; color: #555; }
.badge { display: inline-block; padding: 0 5px; border-radius: 3px; font-weight: bold; }
.pass { background: #cfc; } .warn { background: #ffd; } .fail { background: #fcc; } .undecided { background: #eee; }
.re-read { background: #fdb; }
.ok { color: #070; } .no { color: #a00; font-weight: bold; } .unmeasured { color: #666; }
.checks { list-style: none; padding: 0; margin: 2px 0; display: flex; flex-wrap: wrap; gap: 2px 12px; }
@media print { body { max-width: none; padding: 0; } a { color: inherit; text-decoration: none; } }
`

var funcs = template.FuncMap{
	"pct": func(v float64) string {
		if math.IsNaN(v) {
			return "unknown"
		}
		return fmt.Sprintf("%.1f %%", 100*v)
	},
	"dur": func(d time.Duration) string {
		if d < 0 {
			return "unknown"
		}
		return fmt.Sprintf("%.2f s", d.Seconds())
	},
	"secs": func(v float64) string { return fmt.Sprintf("%.1f s", v) },
	"f1":   func(v float64) string { return fmt.Sprintf("%.1f", v) },
	// A metric that is not defined for a pair (a reader with no fixation on the image, a flat
	// map) is NaN: the page shows a dash, as the CSV leaves the cell empty.
	// count says "1 session", "2 sessions".
	"count": func(n int, what string) string {
		if n == 1 {
			return "1 " + what
		}
		return fmt.Sprintf("%d %ss", n, what)
	},
	"f2": func(v float64) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "–"
		}
		return fmt.Sprintf("%.2f", v)
	},
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"join": strings.Join,
	"css":  func() template.CSS { return template.CSS(css) },
	"status": func(o *session.Opened) string {
		switch {
		case o.Live:
			return "being recorded now (a snapshot)"
		case o.State.Status == session.StatusRecording:
			return "interrupted"
		}
		return o.State.Status
	},
}

var indexTmpl = template.Must(template.New("index").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>QA report: {{.Study}}</title><style>{{css}}</style></head>
<body>
<h1>QA report: {{.Study}}</h1>
<p class="meta">Written {{when .Now}} · {{count .Sum.Sessions "session"}} · {{count .Sum.Cases "case folder"}} · {{.Sum.Faulty}} with problems · {{.Sum.Decided}} decided{{if .Store}} · verdicts from {{.Store}}{{if .Chain}} ({{.Chain}}){{end}}{{else}} · no review store yet: nothing decided{{end}} · table of every case: <a href="qa.csv">qa.csv</a></p>
{{if .Sum.Unreadable}}<h2>Problems</h2><ul class="problems">{{range .Sum.Unreadable}}<li>{{.}}</li>{{end}}</ul>{{end}}
<h2>Sessions</h2>
{{if .Sessions}}<table>
<tr><th style="width:24%">Session</th><th>Reader</th><th style="width:17%">Started</th><th>Status</th><th>Cases</th><th>With problems</th><th>Decided</th></tr>
{{range .Sessions}}<tr>{{if .Opened}}<td><a href="{{.Page}}">{{.ID}}</a></td><td>{{.Opened.State.Reader}}</td><td>{{when .Opened.State.StartedWall}}</td><td>{{status .Opened}}</td><td>{{len .Cases}}</td><td>{{if .Faulty}}<span class="no">{{.Faulty}}</span>{{else}}0{{end}}</td><td>{{.Decided}} / {{len .Cases}}</td>{{else}}<td>{{.ID}}</td><td colspan="6" class="no">cannot be opened: {{.Err}}</td>{{end}}</tr>
{{end}}</table>{{else}}<p>The study has no sessions.</p>{{end}}
{{if .Agreement}}<h2>Inter-reader agreement</h2>
<p class="meta">Images read by several readers: each ordered pair's fixation maps (σ = 1°), reader A's map judged against reader B's fixations (Bylinskii et al. 2019; <code>sightline metrics</code> writes the same for an export).</p>
<table><tr><th>Image</th><th>Reader A</th><th>Reader B</th><th>Fixations A / B</th><th>CC</th><th>SIM</th><th>KLD</th><th>NSS</th><th>AUC-Judd</th></tr>
{{range .Agreement}}<tr><td>{{.DicomID}}</td><td>{{.ReaderA}}</td><td>{{.ReaderB}}</td><td>{{.FixationsA}} / {{.FixationsB}}</td><td>{{f2 .CC}}</td><td>{{f2 .SIM}}</td><td>{{f2 .KLD}}</td><td>{{f2 .NSS}}</td><td>{{f2 .AUCJudd}}</td></tr>
{{end}}</table>{{end}}
</body></html>
`))

var sessionTmpl = template.Must(template.New("session").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>QA: session {{.ID}}</title><style>{{css}}</style></head>
<body>
<p class="meta"><a href="index.html">QA report: {{.Study}}</a></p>
{{with .Opened}}<h1>Session {{$.ID}}</h1>
<p class="meta">Reader {{.State.Reader}} · started {{when .State.StartedWall}} · {{status .}} · {{len $.Cases}} case folders · {{$.Decided}} decided · audio: {{.State.Audio}}</p>{{end}}
<h2>Problems ({{len .Problems}} in {{.Faulty}} case folder{{if ne .Faulty 1}}s{{end}})</h2>
{{if .Problems}}<ul class="problems">{{range .Problems}}<li>{{if .Anchor}}<a href="#{{.Anchor}}">{{.Case}}</a>: {{end}}{{.Text}}</li>{{end}}</ul>{{else}}<p class="none">None found.</p>{{end}}
<h2>Cases (with problems first)</h2>
{{range .Cases}}<section class="case" id="{{.Anchor}}">
<h3>{{.Case}} · {{.Kind}}{{if .Copy}} · interrupted copy {{.Copy}}{{end}}{{if .Reread}} · read again later{{end}}
 · gate <span class="badge {{if .Gate}}{{.Gate}}{{else}}undecided{{end}}">{{if .Gate}}{{.Gate}}{{else}}none{{end}}</span>
 · QA {{with .Verdict}}<span class="badge {{.Decision}}">{{.Decision}}</span>{{else}}<span class="badge undecided">not decided</span>{{end}}</h3>
{{if or .Thumb .Heat}}<div class="pics">{{if .Thumb}}<figure class="replay"><img src="{{.Thumb}}" alt="replay of {{.Case}}: fixations and time line"><figcaption>Fixations (numbered, sized by duration) and the time line with its marks and waveform</figcaption></figure>{{end}}{{if .Heat}}<figure class="heat"><img src="{{.Heat}}" alt="heatmap of {{.Case}}"><figcaption>Heatmap (duration-weighted)</figcaption></figure>{{end}}</div>{{end}}
{{if .ImageNote}}<p class="meta">{{.ImageNote}}</p>{{end}}
<table><tr><th>On screen</th><th>Data loss</th><th>Longest track loss</th><th>Audio</th><th>Audio–gaze drift</th><th>Nearest calibration check</th></tr>
<tr><td>{{dur .Duration}}{{if not .Ended}} (no end){{end}}</td><td>{{pct .DataLoss}}</td><td>{{dur .LongestLoss}}</td>
<td>{{with .Audio}}{{if .Present}}{{secs .Seconds}}{{if .HasPeak}}, peak {{f1 .PeakDB}} dBFS{{end}}{{else if .Expected}}<span class="no">none</span>{{else}}none{{end}}{{end}}</td>
<td>{{with .Audio}}{{if .HasDrift}}{{f2 .DriftMS}} ms{{else}}unknown{{end}}{{end}}</td>
<td>{{with .Check}}round {{.Report.Round}}: {{.Report.Validation.Verdict}}{{if ge .Report.Validation.AccuracyDeg 0.0}}, {{f2 .Report.Validation.AccuracyDeg}}°{{end}}{{if not .Before}} (after){{end}}{{else}}<span class="no">none</span>{{end}}</td></tr></table>
{{with .Offsets}}<p class="meta">Clock: tracker latency {{if .HasLatency}}{{f1 .TrackerLatencyMS}} ms ({{.TrackerMarkers}} markers){{else}}not measured{{end}} · image on screen {{if .HasSwap}}{{f1 .SwapDelayMS}} ms after the press{{else}}delay not measured{{end}} · audio {{if .HasAudio}}fit residual {{f2 .AudioJitterMS}} ms, {{f1 .AudioPPM}} ppm, {{.AudioGaps}} gaps ({{f1 .AudioGapMS}} ms lost){{else}}not measured{{end}}</p>{{end}}
{{if .Reasons}}<p class="meta">Gate: {{join .Reasons "; "}}</p>{{end}}
{{if .Zoned}}<p class="meta">Zones never fixated: {{if .NeverFixated}}{{join .NeverFixated ", "}}{{else}}none{{end}}</p>{{end}}
<ul class="checks">{{range .Checks}}{{if eq .Mark.String "met"}}<li class="ok">✓ {{.Name}}</li>{{else if eq .Mark.String "unmet"}}<li class="no">✗ {{.Name}}</li>{{else}}<li class="unmeasured">– {{.Name}}: not measured</li>{{end}}{{end}}</ul>
{{with .Verdict}}<p>Decided <b>{{.Decision}}</b> by {{.Reviewer}}, {{when .At}}{{if .Note}}: “{{.Note}}”{{end}}</p>{{end}}
{{if .Measures.Problems}}<ul class="problems">{{range .Measures.Problems}}<li>{{.}}</li>{{end}}</ul>{{end}}
</section>
{{end}}
</body></html>
`))

func writePages(outDir, studyDir string, sessions []*sessionReport, sum Summary, agreement []agreementLine, opt Options) error {
	name := filepath.Base(filepath.Clean(studyDir))
	for _, s := range sessions {
		if s.Opened == nil {
			continue
		}
		data := struct {
			*sessionReport
			Study string
		}{s, name}
		if err := atomicfile.Write(filepath.Join(outDir, s.Page), func(w io.Writer) error { return sessionTmpl.Execute(w, data) }); err != nil {
			return fmt.Errorf("write %s: %w", s.Page, err)
		}
	}
	data := struct {
		Study     string
		Now       time.Time
		Sum       Summary
		Store     string
		Chain     string
		Sessions  []*sessionReport
		Agreement []agreementLine
	}{name, opt.Now(), sum, opt.Store, opt.Chain, sessions, agreement}
	if err := atomicfile.Write(filepath.Join(outDir, IndexFile), func(w io.Writer) error { return indexTmpl.Execute(w, data) }); err != nil {
		return fmt.Errorf("write %s: %w", IndexFile, err)
	}
	return nil
}
