package demo

import (
	"math"
	"math/rand/v2"
)

// The phantom is described in "chest units": 1 is half the inner width of the thorax at its
// widest; x grows to the image's right (the patient's left, radiological convention) with 0
// on the midline; y grows downwards with 0 at the lung apices. Structures are evaluated in
// these units and placed on the image by a similarity transform (scale, a slight rotation, a
// shift), so the bounding boxes come from the same geometry that was drawn.

// lungShape is one lung; side is −1 for the right lung (image left), +1 for the left.
type lungShape struct {
	side     float64
	apexX    float64 // lateral extent at the apex
	apexC    float64 // centre of the apical dome
	topC     float64 // curvature of the apical dome
	latMax   float64 // lateral extent low in the chest
	knee     float64 // fraction of the height where the lateral wall stops widening
	medX     float64 // medial extent behind the mediastinum
	base     float64 // y of the costophrenic angle
	domeH    float64 // height of the diaphragmatic dome above the angle
	domePeak float64 // x of the dome's summit
}

func (l *lungShape) latX(y float64) float64 {
	t := clamp(y/l.base, 0, 1)
	u := 1 - math.Min(t/l.knee, 1)
	return l.apexX + (l.latMax-l.apexX)*math.Sqrt(1-u*u) + 0.03*t
}

func (l *lungShape) cpX() float64 { return l.latX(l.base) }

func (l *lungShape) top(xp float64) float64 {
	d := xp - l.apexC
	return l.topC * d * d
}

// dome is the diaphragm's upper surface at lateral distance xp.
func (l *lungShape) dome(xp float64) float64 {
	cp := l.cpX()
	if xp >= l.domePeak {
		u := (xp - l.domePeak) / (cp - l.domePeak)
		return l.base - l.domeH*math.Sqrt(math.Max(0, 1-u*u))
	}
	u := (l.domePeak - xp) / l.domePeak
	return l.base - l.domeH*(1-0.45*u*u)
}

func (l *lungShape) inside(x, y float64) bool {
	xp := x * l.side
	if xp < l.medX || y < l.top(xp) || y > l.dome(xp) {
		return false
	}
	return xp <= l.latX(y)
}

// ellipse is a rotated ellipse (angle in radians, image axes).
type ellipse struct {
	cx, cy, a, b, ang float64
	// sine and cosine of ang, computed on first use (an ellipse is used by one goroutine)
	sn, cs float64
	ready  bool
}

// r2 is the squared normalised radius of (x, y): < 1 inside.
func (e *ellipse) r2(x, y float64) float64 {
	if !e.ready {
		e.sn, e.cs = math.Sincos(e.ang)
		e.ready = true
	}
	s, c := e.sn, e.cs
	dx, dy := x-e.cx, y-e.cy
	u := (dx*c + dy*s) / e.a
	v := (-dx*s + dy*c) / e.b
	return u*u + v*v
}

// extent is the half width and half height of the ellipse's bounding box.
func (e *ellipse) extent() (hw, hh float64) {
	s, c := math.Sincos(e.ang)
	return math.Hypot(e.a*c, e.b*s), math.Hypot(e.a*s, e.b*c)
}

// rib is one rib seen PA. Its hoop projects to an ellipse centred on the midline at
// y0+T with semi-axes R and T: the upper half is the posterior rib (with a small hump, H, near
// the spine), the lower half the fainter anterior rib, which fades where costal cartilage
// takes over.
type rib struct {
	side         float64
	y0, R, T, H  float64
	wPost, wAnt  float64 // half thickness
	yMin, yMax   float64 // quick vertical reject
	dPost, dAnt  float64 // densities
	antFadeStart float64 // x/R below which the anterior rib fades
}

// density is the rib's projected bone density at lateral distance xp and height y.
func (r *rib) density(xp, y float64) float64 {
	u := xp / r.R
	yc := r.y0 + r.T
	if u < 1 && y < yc {
		y += 2 * r.H * u * math.Sqrt(1-u*u) // posterior hump: sin 2φ
	}
	v := (y - yc) / r.T
	gx, gy := u/r.R, v/r.T
	g2 := gx*gx + gy*gy
	// First-order distance to the ellipse: F/|∇F| with F = u²+v²−1.
	F := u*u + v*v - 1
	w := max(r.wPost, r.wAnt)
	if F*F >= 4*g2*w*w {
		return 0
	}
	dist := F / (2 * math.Sqrt(g2))
	ant := smoothstep(-0.25, 0.25, v)
	w = r.wPost + (r.wAnt-r.wPost)*ant
	d := dist / w
	if d <= -1 || d >= 1 {
		return 0
	}
	var post, antD float64
	if ant < 1 {
		post = r.dPost * shellChord(d, 0.13, 0.2) * (0.55 + 0.45*smoothstep(0.07, 0.25, xp))
	}
	if ant > 0 && r.dAnt > 0 {
		antD = r.dAnt * shellChord(d, 0.12, 0.3) * smoothstep(r.antFadeStart-0.12, r.antFadeStart+0.1, u)
	}
	return kBone * (post*(1-ant) + antD*ant)
}

type segment struct{ x0, y0, r0, x1, y1, r1, amp float64 }

type pathology struct {
	// consolidation (pneumonia)
	blobs   []blob
	fissure float64 // y of a sharp lower edge (right upper lobe, minor fissure), 0 if none
	// CHF
	edema    float64 // 0..1 perihilar and basal haze
	effusion [2]float64
	kerley   []segment
	bronchi  []segment // air bronchograms inside the consolidation
}

type blob struct{ x, y, r, w float64 }

// phantom holds everything needed to draw one radiograph and to box its anatomy.
type phantom struct {
	rows, cols int
	cond       string
	female     bool

	// similarity transform: anatomy (x, y) → pixels
	scale, rot, cx, cy, yc float64
	rotSin, rotCos         float64

	lungs  [2]lungShape
	heart  ellipse // left ventricle
	atrium ellipse // right atrium
	// Left mediastinal contour bumps: aortic knob and main pulmonary artery (centre y,
	// protrusion, vertical spread).
	knobY, knobH, knobS    float64
	trunkY, trunkH, trunkS float64
	medR                   float64 // right border of the upper mediastinum (SVC), as a positive distance
	medL                   float64 // left border of the upper mediastinum
	trachX                 float64
	trachW                 float64
	carinaY                float64
	bronchi                [2][2]float64 // main bronchus end points
	hila                   [2][2]float64
	hilumSize              float64
	clavX0                 float64 // medial end of the clavicles (sternoclavicular joint)
	clavY0                 float64
	clavLen                float64
	clavRise               float64
	clavW                  float64
	spineY0                float64 // top of T1
	vertH                  float64
	spineW                 float64
	bodyW                  float64
	neckW                  float64
	shoulderY              float64
	ribs                   []rib
	vessels                []segment
	breast                 [2]ellipse
	gastric                ellipse
	path                   pathology
	gradX                  float64
	gradY                  float64
	marker                 bool
}

// toPixel maps anatomy coordinates to full-resolution pixel coordinates.
func (p *phantom) toPixel(x, y float64) (float64, float64) {
	s, c := p.rotSin, p.rotCos
	dy := y - p.yc
	return p.cx + p.scale*(x*c-dy*s), p.cy + p.scale*(x*s+dy*c)
}

// newPhantom draws the anatomy of one case from rng. cond is "Normal", "CHF" or "pneumonia";
// variant picks the lobe of a pneumonia.
func newPhantom(rng *rand.Rand, rows, cols int, cond string, variant int, female bool) *phantom {
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	p := &phantom{rows: rows, cols: cols, cond: cond, female: female}

	L := u(1.85, 2.05)
	// The chest fills the width of a portrait film; on a landscape one its height sets the scale.
	if cols > rows {
		p.scale = float64(rows) * u(0.33, 0.36)
	} else {
		p.scale = float64(cols) * u(0.37, 0.40)
	}
	p.rot = u(-2, 2) * math.Pi / 180
	p.rotSin, p.rotCos = math.Sincos(p.rot)
	p.yc = L / 2
	apexPx := float64(rows) * u(0.09, 0.13)
	p.cx = float64(cols)/2 + u(-0.025, 0.025)*float64(cols)
	p.cy = apexPx + p.yc*p.scale

	for i, side := range []float64{-1, 1} {
		l := lungShape{
			side:     side,
			apexX:    u(0.36, 0.44),
			apexC:    u(0.30, 0.36),
			topC:     u(3.0, 4.0),
			latMax:   u(0.93, 0.99),
			knee:     u(0.55, 0.68),
			medX:     u(0.05, 0.09),
			base:     L,
			domeH:    u(0.22, 0.32),
			domePeak: u(0.42, 0.52),
		}
		if side > 0 { // the left hemidiaphragm sits lower
			l.base += u(0.03, 0.09)
		}
		p.lungs[i] = l
	}
	thorax := p.lungs[0].cpX() + p.lungs[1].cpX()

	// Heart: the left ventricle's oblique oval, apex down and to the patient's left, and the
	// right atrium's gentler curve on the right; sized for a cardiothoracic ratio, about one
	// third of it right of the midline.
	ctr := u(0.40, 0.47)
	switch cond {
	case "CHF":
		ctr = u(0.57, 0.66)
	case "pneumonia":
		ctr = u(0.42, 0.50)
	}
	width := ctr * thorax
	xR := -u(0.30, 0.36) * width
	xL := xR + width
	ang := u(40, 48) * math.Pi / 180
	ratio := u(1.35, 1.5)
	s, c := math.Sincos(ang)
	lvHW := 0.4 * width
	a := lvHW / math.Hypot(c, s/ratio)
	lv := ellipse{a: a, b: a / ratio, ang: ang, cx: xL - lvHW}
	_, hh := lv.extent()
	domeMed := p.lungs[1].dome(0.15)
	lv.cy = domeMed + u(0.10, 0.16) - hh
	p.heart = lv
	// The right atrium also sits on the diaphragm: both outlines end below the domes, so the
	// silhouette's lower edge is the diaphragm's.
	p.atrium = ellipse{cx: xR + 0.2*width, a: 0.2 * width, b: u(0.36, 0.42) * width}
	p.atrium.cy = p.lungs[0].dome(0.15) + u(0.06, 0.1) - p.atrium.b

	p.medR = u(0.12, 0.15)
	p.medL = u(0.09, 0.12)
	p.knobY, p.knobH, p.knobS = u(0.42, 0.50), u(0.07, 0.1), u(0.06, 0.075)
	p.trunkY, p.trunkH, p.trunkS = p.knobY+u(0.2, 0.25), u(0.03, 0.05), u(0.06, 0.08)
	if cond == "CHF" {
		p.knobH *= 1.1
		p.trunkH *= 1.6
	}

	p.trachX = u(-0.03, 0.0)
	p.trachW = u(0.055, 0.07)
	p.carinaY = p.knobY + u(0.12, 0.18)
	p.bronchi[0] = [2]float64{p.trachX - u(0.16, 0.20), p.carinaY + u(0.18, 0.22)}
	p.bronchi[1] = [2]float64{p.trachX + u(0.22, 0.27), p.carinaY + u(0.16, 0.20)}
	p.hila[0] = [2]float64{-u(0.28, 0.34), p.carinaY + u(0.26, 0.34)}
	p.hila[1] = [2]float64{u(0.26, 0.32), p.carinaY + u(0.16, 0.24)}
	p.hilumSize = u(0.09, 0.12)

	p.clavX0 = u(0.14, 0.19)
	p.clavY0 = u(0.30, 0.38)
	p.clavLen = u(1.08, 1.2)
	p.clavRise = u(0.2, 0.28)
	p.clavW = u(0.06, 0.07)
	p.spineY0 = u(-0.12, -0.04)
	p.vertH = u(0.175, 0.195)
	p.spineW = u(0.10, 0.12)
	p.bodyW = math.Max(p.lungs[0].cpX(), p.lungs[1].cpX()) + u(0.16, 0.26)
	p.neckW = u(0.38, 0.46)
	p.shoulderY = u(-0.38, -0.28)

	p.makeRibs(rng)
	p.makeVessels(rng)

	if female {
		for i, side := range []float64{-1, 1} {
			l := &p.lungs[i]
			p.breast[i] = ellipse{cx: side * u(0.52, 0.62), cy: l.base - u(0.38, 0.48), a: u(0.42, 0.52), b: u(0.30, 0.38), ang: side * u(-0.2, 0.05)}
		}
	}
	gl := &p.lungs[1]
	p.gastric = ellipse{cx: u(0.45, 0.6), cy: gl.dome(0.5) + u(0.12, 0.18), a: u(0.12, 0.2), b: u(0.07, 0.1), ang: u(-0.2, 0.2)}
	p.gradX = u(-0.06, 0.06)
	p.gradY = u(0.0, 0.08)
	p.marker = true

	switch cond {
	case "CHF":
		p.path.edema = u(0.5, 1)
		if variant%2 == 0 {
			p.path.effusion = [2]float64{u(0.34, 0.44), u(0.3, 0.4)}
		} else {
			p.path.effusion = [2]float64{u(0.0, 0.1), 0}
		}
		p.makeKerley(rng)
	case "pneumonia":
		p.makePneumonia(rng, variant)
	}
	return p
}

func (p *phantom) makeRibs(rng *rand.Rand) {
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	for si, side := range []float64{-1, 1} {
		l := &p.lungs[si]
		for i := 0; i < 12; i++ {
			y0 := p.spineY0 + float64(i)*p.vertH + 0.25*p.vertH + u(-0.01, 0.01)
			fi := float64(i)
			r := rib{side: side, y0: y0}
			switch i {
			case 0:
				r.R = l.apexX + u(0.02, 0.08)
				r.T = u(0.10, 0.14)
			case 1:
				r.R = math.Max(l.latX(y0+0.1), 0.7) + 0.03
				r.T = u(0.16, 0.2)
			default:
				r.R = l.latX(y0+0.25) + u(0.04, 0.07)
				r.T = math.Min(0.26+0.03*fi, 0.52) + u(-0.02, 0.02)
			}
			r.H = u(0.03, 0.06)
			r.wPost = 0.028 + 0.0025*math.Min(fi, 8) + u(-0.002, 0.002)
			r.wAnt = r.wPost * u(1.15, 1.35)
			r.dPost = 1
			r.dAnt = u(0.45, 0.6)
			if i >= 7 { // lower anterior ribs end in cartilage out of sight
				r.dAnt *= smoothstep(10, 7, fi)
			}
			if i >= 10 { // floating ribs: short, no anterior part
				r.R *= 0.8
				r.dAnt = 0
			}
			r.antFadeStart = u(0.62, 0.72)
			w := math.Max(r.wPost, r.wAnt) * 1.5
			r.yMin = y0 - r.H*1.2 - w
			r.yMax = y0 + 2*r.T + w
			p.ribs = append(p.ribs, r)
		}
	}
}

// makeVessels grows pulmonary artery and vein trees from the hila, tapering towards the
// periphery, kept inside the lungs.
func (p *phantom) makeVessels(rng *rand.Rand) {
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	deg := math.Pi / 180
	chf := p.cond == "CHF"
	for si := range 2 {
		l := &p.lungs[si]
		side := l.side
		hx, hy := p.hila[si][0], p.hila[si][1]
		// Angles measured in the right lung (image left): 180° is lateral, −90° up.
		type trunk struct{ ang, w, len float64 }
		trunks := []trunk{
			{-112, 0.05, 0.22},
			{-150, 0.036, 0.2},
			{175, 0.034, 0.2},
			{105, 0.075, 0.28},
			{140, 0.05, 0.24},
			{85, 0.046, 0.24},
		}
		// The main pulmonary artery runs from the mediastinum out to the hilum.
		mx := side * 0.1
		p.vessels = append(p.vessels, segment{mx, hy - 0.08, 0.05, hx, hy, 0.042, 1})
		for _, t := range trunks {
			w := t.w
			if chf && t.ang < -100 { // cephalisation: upper lobe vessels as big as the lower ones
				w *= 1.45
			}
			a := (t.ang + u(-8, 8)) * deg
			if side > 0 {
				a = math.Pi - a
			}
			p.growVessel(rng, l, hx+side*u(-0.02, 0.03), hy+u(-0.04, 0.04), a, w, t.len*u(0.9, 1.1), 0, 1)
		}
		// Pulmonary veins converge on the left atrium, low and medial.
		vx, vy := side*0.12, p.heart.cy-0.05
		for k := 0; k < 3; k++ {
			a := (170 + float64(k-1)*22 + u(-6, 6)) * deg
			if side > 0 {
				a = math.Pi - a
			}
			p.growVessel(rng, l, vx, vy+float64(k)*0.06, a, 0.034, 0.3, 0, 0.8)
		}
	}
}

func (p *phantom) growVessel(rng *rand.Rand, l *lungShape, x, y, ang, w, length float64, depth int, amp float64) {
	if w < 0.0045 || depth > 10 {
		return
	}
	// Two slightly bent halves make a curved segment.
	bend := (rng.Float64() - 0.5) * 0.3
	xm, ym := x+math.Cos(ang)*length/2, y+math.Sin(ang)*length/2
	a2 := ang + bend
	x1, y1 := xm+math.Cos(a2)*length/2, ym+math.Sin(a2)*length/2
	w1 := w * 0.9
	if !l.inside(x1, y1) {
		// Stop at the pleura (or the mediastinum); keep the part that is inside.
		if l.inside(xm, ym) {
			p.vessels = append(p.vessels, segment{x, y, w / 2, xm, ym, w1 / 2, amp})
		}
		if depth > 0 || !l.inside(xm, ym) {
			return
		}
	}
	p.vessels = append(p.vessels, segment{x, y, w / 2, xm, ym, (w + w1) / 4, amp}, segment{xm, ym, (w + w1) / 4, x1, y1, w1 / 2, amp})
	n := 2
	if rng.Float64() < 0.15 {
		n = 3
	}
	for k := 0; k < n; k++ {
		spread := (0.25 + 0.35*rng.Float64())
		da := spread
		if k == 1 {
			da = -spread * (0.6 + 0.6*rng.Float64())
		}
		if k == 2 {
			da = (rng.Float64() - 0.5) * 0.3
		}
		cw := w1 * (0.68 + 0.1*rng.Float64())
		if k == 0 && n == 2 && rng.Float64() < 0.5 { // asymmetric branching: one child stays big
			cw = w1 * 0.82
		}
		p.growVessel(rng, l, x1, y1, a2+da, cw, length*(0.72+0.12*rng.Float64()), depth+1, amp)
	}
}

func (p *phantom) makeKerley(rng *rand.Rand) {
	for si := range 2 {
		l := &p.lungs[si]
		n := 8 + rng.IntN(8)
		for k := 0; k < n; k++ {
			y := l.base - 0.05 - rng.Float64()*0.5
			xl := l.latX(y) - 0.01
			length := 0.05 + rng.Float64()*0.07
			xp0, xp1 := xl, xl-length
			p.path.kerley = append(p.path.kerley, segment{l.side * xp0, y, 0.006, l.side * xp1, y + (rng.Float64()-0.5)*0.01, 0.004, 1})
		}
	}
}

// Pneumonia variants, by variant number: 0 right lower lobe, 1 left lower lobe (partly behind
// the heart), 2 right upper lobe (sharp lower edge on the minor fissure), 3 right middle lobe
// (effacing the right heart border).
func (p *phantom) makePneumonia(rng *rand.Rand, variant int) {
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	var cx, cy, rx, ry float64
	switch variant % 4 {
	case 0:
		l := &p.lungs[0]
		cx, cy, rx, ry = -u(0.5, 0.62), l.base-u(0.45, 0.55), u(0.26, 0.32), u(0.22, 0.28)
	case 1:
		l := &p.lungs[1]
		cx, cy, rx, ry = u(0.45, 0.58), l.base-u(0.45, 0.55), u(0.24, 0.3), u(0.22, 0.28)
	case 2:
		cx, cy, rx, ry = -u(0.45, 0.55), u(0.45, 0.55), u(0.3, 0.36), u(0.25, 0.3)
		p.path.fissure = p.hila[0][1] - u(0.0, 0.05)
	case 3:
		cx, cy, rx, ry = p.heart.cx-p.heart.a*0.8-u(0.08, 0.14), p.heart.cy-u(0.0, 0.08), u(0.2, 0.26), u(0.18, 0.24)
	}
	n := 70 + rng.IntN(30)
	for k := 0; k < n; k++ {
		// Denser in the middle, ragged at the edge.
		a := rng.Float64() * 2 * math.Pi
		r := math.Sqrt(rng.Float64())
		p.path.blobs = append(p.path.blobs, blob{
			x: cx + math.Cos(a)*r*rx, y: cy + math.Sin(a)*r*ry,
			r: u(0.04, 0.09), w: u(0.4, 0.65) * (1.1 - 0.7*r),
		})
	}
	// A few air bronchograms inside, running out from the hilum of that side.
	h := p.hila[0]
	if cx > 0 {
		h = p.hila[1]
	}
	for k := 0; k < 3; k++ {
		a := rng.Float64() * 2 * math.Pi
		x0, y0 := cx+math.Cos(a)*rx*0.3, cy+math.Sin(a)*ry*0.3
		ang := math.Atan2(cy-h[1], cx-h[0]) + (rng.Float64()-0.5)*0.8
		length := u(0.12, 0.22)
		p.path.bronchi = append(p.path.bronchi, segment{x0 - math.Cos(ang)*length/2, y0 - math.Sin(ang)*length/2, 0.011, x0 + math.Cos(ang)*length/2, y0 + math.Sin(ang)*length/2, 0.006, 1})
	}
}
