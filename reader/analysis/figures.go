package analysis

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"sightline/reader/heatmap"
)

// figures draws the paper's Figure 11 (mean fixation duration per anatomy and condition,
// grouped bars) and Figure 12 (the p-value table as a heat grid).
func (w *writer) figures() {
	a := w.rep.Anatomy
	if len(a.Boxes) == 0 {
		return
	}
	for _, f := range []struct {
		name string
		draw func(*Anatomy) (*plot.Plot, error)
	}{{Figure11File, figure11}, {Figure12File, figure12}} {
		p, err := f.draw(a)
		if err == nil {
			var b []byte
			b, err = render(p, vg.Length(max(160, 60+12*len(a.Boxes)))*vg.Millimeter, 150*vg.Millimeter)
			w.file(f.name, b)
		}
		if err != nil && w.err == nil {
			w.err = fmt.Errorf("%s: %w", f.name, err)
		}
	}
}

func render(p *plot.Plot, wd, ht vg.Length) ([]byte, error) {
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(wd, ht), vgimg.UseDPI(150))}
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// conditionColours are the bars' colours, from viridis.
var conditionColours = []color.Color{heatmap.Viridis[30], heatmap.Viridis[128], heatmap.Viridis[220]}

func figure11(a *Anatomy) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Fixation duration per anatomy and condition"
	p.Y.Label.Text = "fixation time per case (s)"
	rotateX(p)
	width := vg.Points(5)
	for i, r := range DurationRows {
		vals := make(plotter.Values, len(a.Boxes))
		for k, d := range a.MeanDuration[r[1]] {
			if finite(d) {
				vals[k] = d // a condition without cases draws no bar
			}
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, err
		}
		bars.Color = conditionColours[i]
		bars.LineStyle.Width = 0
		bars.Offset = vg.Length(i-1) * width
		p.Add(bars)
		p.Legend.Add(fmt.Sprintf("%s (%d)", r[0], a.Cases[r[1]]), bars)
	}
	p.Legend.Top = true
	p.Y.Min = 0
	p.Y.Max *= 1.25 // room for the legend
	p.NominalX(a.Boxes...)
	return p, nil
}

// pGrid is the p-value table as a grid: columns are boxes, rows comparisons (the first on top),
// values −log10 p so that small p stand out.
type pGrid struct{ a *Anatomy }

func (g pGrid) Dims() (c, r int) { return len(g.a.Boxes), len(Comparisons) }
func (g pGrid) Z(c, r int) float64 {
	p := g.a.Student[len(Comparisons)-1-r][c].P
	return math.Min(-math.Log10(p), 4)
}
func (g pGrid) X(c int) float64 { return float64(c) }
func (g pGrid) Y(r int) float64 { return float64(r) }

type viridisPalette struct{}

func (viridisPalette) Colors() []color.Color {
	cs := make([]color.Color, len(heatmap.Viridis))
	for i, c := range heatmap.Viridis {
		cs[i] = c
	}
	return cs
}

func figure12(a *Anatomy) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Fixations per anatomy: Student's t-test p-values (colour: −log10 p)"
	rotateX(p)
	g := pGrid{a}
	hm := plotter.NewHeatMap(g, viridisPalette{})
	hm.Min, hm.Max = 0, 4
	hm.NaN = color.Gray{200}
	p.Add(hm)
	var xys plotter.XYs
	var labels []string
	var ink []bool
	for r := range len(Comparisons) {
		for c := range a.Boxes {
			xys = append(xys, plotter.XY{X: float64(c), Y: float64(r)})
			pv := a.Student[len(Comparisons)-1-r][c].P
			ink = append(ink, g.Z(c, r) > 2.5) // dark text on the light end of viridis
			if math.IsNaN(pv) {
				labels = append(labels, "–")
			} else {
				labels = append(labels, fmt.Sprintf("%.2g", pv))
			}
		}
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return nil, err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign = -0.5
		l.TextStyle[i].YAlign = -0.5
		l.TextStyle[i].Color = color.White
		if ink[i] {
			l.TextStyle[i].Color = color.Black
		}
		l.TextStyle[i].Font.Size = vg.Points(6)
	}
	p.Add(l)
	p.NominalX(a.Boxes...)
	names := make([]string, len(Comparisons))
	for i, c := range Comparisons {
		names[len(Comparisons)-1-i] = ComparisonName(c)
	}
	p.NominalY(names...)
	return p, nil
}

func rotateX(p *plot.Plot) {
	p.X.Tick.Label.Rotation = math.Pi / 2
	p.X.Tick.Label.XAlign = -1 // right edge at the tick
	p.X.Tick.Label.YAlign = -0.5
}
