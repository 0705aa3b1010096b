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
// grouped bars) and Figure 12 (the p-value table as a heat grid, with its colour bar).
func (w *writer) figures() {
	a := w.rep.Anatomy
	if len(a.Boxes) == 0 {
		return
	}
	wd, ht := vg.Length(max(160, 70+16*len(a.Boxes)))*vg.Millimeter, 150*vg.Millimeter
	for _, f := range []struct {
		name string
		draw func(*Anatomy, vg.Length) (func(draw.Canvas), error)
	}{{Figure11File, figure11}, {Figure12File, figure12}} {
		d, err := f.draw(a, wd)
		if err == nil {
			var b []byte
			b, err = render(d, wd, ht)
			w.file(f.name, b)
		}
		if err != nil && w.err == nil {
			w.err = fmt.Errorf("%s: %w", f.name, err)
		}
	}
}

// figureMargin keeps every label and the legend clear of the image's edges (gonum/plot draws
// right up to them).
const figureMargin = 5 * vg.Millimeter

func render(d func(draw.Canvas), wd, ht vg.Length) ([]byte, error) {
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(wd, ht), vgimg.UseDPI(150))}
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	d(draw.Crop(dc, figureMargin, -figureMargin, figureMargin, -figureMargin))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// conditionColours are the bars' colours, from viridis.
var conditionColours = []color.Color{heatmap.Viridis[30], heatmap.Viridis[128], heatmap.Viridis[220]}

func figure11(a *Anatomy, wd vg.Length) (func(draw.Canvas), error) {
	p := plot.New()
	p.Title.Text = "Fixation duration per anatomy and condition"
	p.Title.Padding = 3 * vg.Millimeter
	p.Y.Label.Text = "fixation time per case (s)"
	rotateX(p)
	// Three bars fill about two thirds of each box's slot (the axes take about 30 mm).
	width := min(vg.Points(18), (wd-2*figureMargin-30*vg.Millimeter)/vg.Length(len(a.Boxes))*2/9)
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
	p.Legend.XOffs, p.Legend.YOffs = -2*vg.Millimeter, -2*vg.Millimeter
	p.Legend.Padding = vg.Millimeter
	p.Y.Min = 0
	p.Y.Max *= 1.3 // room for the legend
	p.NominalX(a.Boxes...)
	return p.Draw, nil
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

// pMax is the top of Figure 12's colour scale, −log10 p: p ≤ 0.0001 all look alike.
const pMax = 4

func figure12(a *Anatomy, wd vg.Length) (func(draw.Canvas), error) {
	p := plot.New()
	p.Title.Text = "Fixations per anatomy: Student's t-test p-values"
	p.Title.Padding = 3 * vg.Millimeter
	rotateX(p)
	g := pGrid{a}
	hm := plotter.NewHeatMap(g, viridisPalette{})
	hm.Min, hm.Max = 0, pMax
	hm.NaN = color.Gray{200}
	p.Add(hm)
	var xys plotter.XYs
	var labels []string
	var ink []bool
	for r := range len(Comparisons) {
		for c := range a.Boxes {
			xys = append(xys, plotter.XY{X: float64(c), Y: float64(r)})
			pv := a.Student[len(Comparisons)-1-r][c].P
			ink = append(ink, g.Z(c, r) > 2.5 || math.IsNaN(pv)) // dark text on light cells
			if math.IsNaN(pv) {
				labels = append(labels, "–")
			} else {
				labels = append(labels, fmt.Sprintf("%.2g", pv))
			}
		}
	}
	// The longest cell text, "1.2e-05", is about 3.5 em wide: fit it in a cell (the comparison
	// names take about 45 mm), at most 10 points.
	cell := (wd - 2*figureMargin - colourBarWidth - 45*vg.Millimeter) / vg.Length(len(a.Boxes))
	cellFont := min(vg.Points(10), cell/3.8)
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
		l.TextStyle[i].Font.Size = cellFont
	}
	p.Add(l)
	p.NominalX(a.Boxes...)
	names := make([]string, len(Comparisons))
	for i, c := range Comparisons {
		names[len(Comparisons)-1-i] = ComparisonName(c)
	}
	p.NominalY(names...)
	return func(c draw.Canvas) {
		grid := draw.Crop(c, 0, -colourBarWidth, 0, 0)
		p.Draw(grid)
		colourBar(c, p.DataCanvas(grid), p.Y.Tick.Label)
	}, nil
}

// colourBarWidth is the room right of Figure 12's grid for its colour bar and the bar's labels.
const colourBarWidth = 26 * vg.Millimeter

// colourBar draws Figure 12's scale at the right of c, as tall as the grid (data): viridis from
// p = 1 (bottom) to p ≤ 0.0001 (top), labelled in p.
func colourBar(c, data draw.Canvas, label draw.TextStyle) {
	x0 := c.Max.X - colourBarWidth + 6*vg.Millimeter
	x1 := x0 + 5*vg.Millimeter
	h := data.Max.Y - data.Min.Y
	n := len(heatmap.Viridis)
	for i, col := range heatmap.Viridis {
		y0 := data.Min.Y + h*vg.Length(i)/vg.Length(n)
		y1 := data.Min.Y + h*vg.Length(i+1)/vg.Length(n) + vg.Points(0.5) // overlap: no seams
		c.SetColor(col)
		c.Fill(vg.Path{{Type: vg.MoveComp, Pos: vg.Point{X: x0, Y: y0}}, {Type: vg.LineComp, Pos: vg.Point{X: x1, Y: y0}},
			{Type: vg.LineComp, Pos: vg.Point{X: x1, Y: min(y1, data.Max.Y)}}, {Type: vg.LineComp, Pos: vg.Point{X: x0, Y: min(y1, data.Max.Y)}}, {Type: vg.CloseComp}})
	}
	label.XAlign, label.YAlign = draw.XLeft, -0.5
	tick := draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}
	for k, text := range []string{"1", "0.1", "0.01", "0.001", "≤ 0.0001"} {
		y := data.Min.Y + h*vg.Length(k)/pMax
		c.StrokeLine2(tick, x1, y, x1+vg.Millimeter, y)
		c.FillText(label, vg.Point{X: x1 + 1.5*vg.Millimeter, Y: y}, text)
	}
	label.XAlign, label.YAlign = draw.XCenter, 0
	c.FillText(label, vg.Point{X: (x0 + x1) / 2, Y: data.Max.Y + label.Height("p")}, "p")
}

func rotateX(p *plot.Plot) {
	p.X.Tick.Label.Rotation = math.Pi / 2
	p.X.Tick.Label.XAlign = -1 // right edge at the tick
	p.X.Tick.Label.YAlign = -0.5
}
