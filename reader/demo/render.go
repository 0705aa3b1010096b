package demo

import (
	"math"
	"math/rand/v2"
)

// Densities in log-attenuation units: 1 is the full soft-tissue thickness of the chest.
const (
	kBody  = 1.0
	kAir   = 0.48
	kBone  = 0.13
	kClav  = 0.2
	kSpine = 0.055
	kHum   = 0.3
	kVes   = 3.5
)

// shellChord is the projected density of a tube (or sphere) with a dense cortex: d is the
// distance from the axis in radii, tau the cortical thickness in radii.
func shellChord(d, tau, marrow float64) float64 {
	d2 := d * d
	if d2 >= 1 {
		return 0
	}
	outer := math.Sqrt(1 - d2)
	in := (1 - tau) * (1 - tau)
	inner := 0.0
	if d2 < in {
		inner = math.Sqrt(in - d2)
	}
	return (outer - inner) + marrow*inner
}

// segDist returns the distance from (x, y) to the segment and the position t along it.
func segDist(x, y float64, s segment) (float64, float64) {
	dx, dy := s.x1-s.x0, s.y1-s.y0
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = clamp(((x-s.x0)*dx+(y-s.y0)*dy)/l2, 0, 1)
	}
	return math.Hypot(x-s.x0-t*dx, y-s.y0-t*dy), t
}

func (p *phantom) shoulderTop(xp float64) float64 {
	return p.shoulderY + 0.34*smoothstep(p.neckW-0.05, p.bodyW+0.15, xp)
}

// bodyThickness is the soft tissue crossed at (x, y), before blurring.
func (p *phantom) bodyThickness(x, y float64) float64 {
	xp := math.Abs(x)
	t := 0.0
	if xp < p.neckW {
		t = 0.55 * math.Sqrt(1-(xp/p.neckW)*(xp/p.neckW))
	}
	top := p.shoulderTop(xp)
	if y > top && xp < p.bodyW {
		r := xp / p.bodyW
		t = math.Max(t, math.Sqrt(1-r*r)*smoothstep(top, top+0.3, y))
	}
	// Shoulder caps and upper arms, apart from the chest wall.
	capEl := ellipse{cx: p.bodyW + 0.12, cy: p.shoulderY + 0.42, a: 0.32, b: 0.26}
	if r2 := capEl.r2(xp, y); r2 < 1 {
		t = math.Max(t, 0.55*math.Sqrt(1-r2))
	}
	armC := p.bodyW + 0.28
	if d := math.Abs(xp-armC) / 0.2; d < 1 && y > p.shoulderY+0.4 {
		t = math.Max(t, 0.5*math.Sqrt(1-d*d))
	}
	return t
}

// medLeft is the left border of the upper mediastinum at y: aortic knob, then the main
// pulmonary artery.
func (p *phantom) medLeft(y float64) float64 {
	k := (y - p.knobY) / p.knobS
	t := (y - p.trunkY) / p.trunkS
	return p.medL + 0.04*clamp(y/0.9, 0, 1) + p.knobH*math.Exp(-k*k) + p.trunkH*math.Exp(-t*t)
}

// medRight is the right border (superior vena cava), as a positive distance.
func (p *phantom) medRight(y float64) float64 {
	return p.medR + 0.06*clamp(y/0.9, 0, 1)
}

// inHeart reports whether (x, y) is inside the cardiac outline (down to below the domes: the
// diaphragm cuts it).
func (p *phantom) inHeart(x, y float64) bool {
	if p.heart.r2(x, y) < 1 || p.atrium.r2(x, y) < 1 {
		return true
	}
	// Between the two chambers' centres the heart rests on the diaphragm: no lung below it.
	return x > p.atrium.cx && x < p.heart.cx && y > math.Min(p.atrium.cy, p.heart.cy)
}

// occlusion is how much of the lung's air the mediastinum and heart displace at (x, y).
func (p *phantom) occlusion(x, y float64) float64 {
	o := 0.0
	if y < p.heart.cy && x > -p.medRight(y) && x < p.medLeft(y) {
		o = 0.95
	}
	if y > p.knobY && x > p.medL-0.04 && x < p.medL+0.06 {
		o = math.Max(o, 0.45) // descending aorta
	}
	if p.inHeart(x, y) {
		o = math.Max(o, 0.86)
	}
	return o
}

// ribDensity is the projected density of the ribs at (x, y).
func (p *phantom) ribDensity(x, y float64) float64 {
	v := 0.0
	xp := math.Abs(x)
	side := 1.0
	if x < 0 {
		side = -1
	}
	for i := range p.ribs {
		r := &p.ribs[i]
		if r.side != side || y < r.yMin || y > r.yMax || xp < 0.07 || xp > r.R+0.1 {
			continue
		}
		v += r.density(xp, y)
	}
	return v
}

// bone is the projected density of the other bones at (x, y): clavicles, spine, humeri.
func (p *phantom) bone(x, y float64) float64 {
	v := 0.0
	xp := math.Abs(x)
	// clavicles
	if xp > p.clavX0-0.02 && xp < p.clavLen+0.05 {
		uc := (xp - p.clavX0) / (p.clavLen - p.clavX0)
		yc := p.clavY0 - p.clavRise*uc + 0.035*math.Sin(2*math.Pi*uc)
		w := p.clavW * (1.35 - 0.55*uc + 0.35*uc*uc)
		d := (y - yc) / w
		if d > -1 && d < 1 {
			v += kClav * shellChord(d, 0.25, 0.3) * smoothstep(p.clavX0-0.02, p.clavX0+0.03, xp) * (1 - smoothstep(p.clavLen-0.04, p.clavLen+0.04, xp))
		}
	}
	// spine: vertebral bodies with discs, pedicles, spinous processes
	if xp < p.spineW*1.4 {
		sw := p.spineW * (0.8 + 0.12*clamp(y, -0.5, 2.5))
		k := (y - p.spineY0) / p.vertH
		fk := math.Floor(k)
		fr := k - fk
		cerv := 1.0
		if y < p.spineY0 { // cervical: narrower, fainter
			sw *= 0.8
			cerv = 0.6
		}
		if d := xp / sw; d < 1 {
			body := shellChord(d, 0.12, 0.55)
			switch {
			case fr > 0.86:
				body *= 0.6 // disc
			case fr > 0.82 || fr < 0.04:
				body *= 1.15 // end plates
			}
			v += kSpine * body * cerv
		}
		yv := p.spineY0 + fk*p.vertH
		ped := ellipse{cx: 0.7 * sw, cy: yv + 0.32*p.vertH, a: 0.2 * sw, b: 0.22 * p.vertH}
		if r2 := ped.r2(xp, y); r2 < 1 {
			v += kSpine * 0.5 * shellChord(math.Sqrt(r2), 0.35, 0.3)
		}
		spin := ellipse{cx: 0, cy: yv + 0.62*p.vertH, a: 0.1 * sw, b: 0.3 * p.vertH}
		if r2 := spin.r2(xp, y); r2 < 1 {
			v += kSpine * 0.3 * math.Sqrt(1-r2)
		}
	}
	// humeral heads and shafts
	hx, hy := p.bodyW+0.14, p.shoulderY+0.52
	if d := math.Hypot(xp-hx, y-hy) / 0.2; d < 1 {
		v += kHum * shellChord(d, 0.15, 0.45)
	}
	if xp > p.bodyW-0.1 {
		// The arm hangs down and out, the shaft narrowing below the surgical neck.
		d, t := segDist(xp, y, segment{x0: hx + 0.03, y0: hy, x1: hx + 0.45, y1: hy + 1.3})
		if dd := d / (0.11 - 0.04*smoothstep(0, 0.25, t)); dd < 1 && t > 0.02 {
			v += kHum * 0.7 * shellChord(dd, 0.28, 0.35)
		}
	}
	return v
}

// airway is the air of the trachea and main bronchi at (x, y).
func (p *phantom) airway(x, y float64) float64 {
	a := 0.0
	if y < p.carinaY+0.02 {
		if d := math.Abs(x-p.trachX) / p.trachW; d < 1 {
			a = math.Sqrt(1-d*d) * smoothstep(p.carinaY+0.02, p.carinaY-0.04, y)
		}
	}
	if y > p.carinaY-0.1 && y < p.carinaY+0.4 {
		for i := range 2 {
			s := segment{x0: p.trachX, y0: p.carinaY - 0.03, x1: p.bronchi[i][0], y1: p.bronchi[i][1]}
			d, t := segDist(x, y, s)
			r := p.trachW * (0.8 - 0.3*t)
			if dd := d / r; dd < 1 {
				a = math.Max(a, math.Sqrt(1-dd*dd)*(1-0.6*t))
			}
		}
	}
	return a * 0.1
}

// render draws the phantom at 1/f of full resolution and returns display values in [0, 1],
// 1 being the most attenuating (white in MONOCHROME2).
func (p *phantom) render(f int, rng *rand.Rand) *layer {
	lw, lh := (p.cols-1)/f+2, (p.rows-1)/f+2
	n := lw * lh
	sc := p.scale / float64(f) // low-resolution pixels per chest unit
	body, lung, occ := newLayer(lw, lh), newLayer(lw, lh), newLayer(lw, lh)
	bones := newLayer(lw, lh)
	air := make([]float32, n)

	sn, cs := math.Sincos(p.rot)
	for j := 0; j < lh; j++ {
		for i := 0; i < lw; i++ {
			dx, dy := float64(i*f)-p.cx, float64(j*f)-p.cy
			x := (dx*cs + dy*sn) / p.scale
			y := p.yc + (-dx*sn+dy*cs)/p.scale
			k := j*lw + i
			bt := p.bodyThickness(x, y)
			body.pix[k] = float32(bt)
			if bt == 0 { // air around the patient
				continue
			}
			lg := 0.0
			if p.lungs[0].inside(x, y) || p.lungs[1].inside(x, y) {
				lg = 1
			}
			lung.pix[k] = float32(lg)
			o := p.occlusion(x, y)
			occ.pix[k] = float32(o)
			// Ribs read best against aerated lung; processing and the thick soft tissue of the
			// mediastinum and abdomen wash them out elsewhere.
			rb := p.ribDensity(x, y) * (0.45 + 0.55*lg) * (1 - 0.5*o)
			bones.pix[k] = float32(p.bone(x, y) + rb)
			ga := 0.0
			if r2 := p.gastric.r2(x, y); r2 < 1 && y < p.gastric.cy+0.3*p.gastric.b {
				ga = 0.08 * math.Sqrt(1-r2)
			}
			air[k] = float32(p.airway(x, y) + ga)
		}
	}
	body.blur(0.012 * sc)
	lung.blur(0.005 * sc)
	occ.blur(0.008 * sc)
	bones.blur(0.4)
	depth := &layer{w: lw, h: lh, pix: append([]float32(nil), lung.pix...)}
	depth.blur(0.13 * sc)

	// Vessels, hila and interstitial lines.
	ves := newLayer(lw, lh)
	toLow := func(x, y float64) (float64, float64) {
		px, py := p.toPixel(x, y)
		return px / float64(f), py / float64(f)
	}
	for _, s := range p.vessels {
		x0, y0 := toLow(s.x0, s.y0)
		x1, y1 := toLow(s.x1, s.y1)
		ves.stampSegment(x0, y0, s.r0*sc, x1, y1, s.r1*sc, s.amp)
	}
	for i := range 2 {
		hx, hy := toLow(p.hila[i][0], p.hila[i][1])
		ves.stampDisk(hx, hy, p.hilumSize*sc, 0.25*p.hilumSize*sc, false)
	}
	for _, s := range p.path.kerley {
		x0, y0 := toLow(s.x0, s.y0)
		x1, y1 := toLow(s.x1, s.y1)
		ves.stampSegment(x0, y0, s.r0*sc, x1, y1, s.r1*sc, 2.5)
	}
	if p.cond == "CHF" {
		ves.blur(0.006 * sc) // indistinct vessels
	} else {
		ves.blur(0.6)
	}

	// Parenchymal texture: smoothed noise (the finest grain comes with the full-size noise).
	tex := newLayer(lw, lh)
	for k := range tex.pix {
		tex.pix[k] = float32(rng.NormFloat64())
	}
	tex.blur(0.02 * sc)

	// Consolidation.
	var cons *layer
	if len(p.path.blobs) > 0 {
		cons = newLayer(lw, lh)
		for _, b := range p.path.blobs {
			bx, by := toLow(b.x, b.y)
			cons.stampDisk(bx, by, b.r*sc, b.w, false)
		}
		cons.blur(0.035 * sc)
		br := newLayer(lw, lh)
		for _, s := range p.path.bronchi {
			x0, y0 := toLow(s.x0, s.y0)
			x1, y1 := toLow(s.x1, s.y1)
			br.stampSegment(x0, y0, s.r0*sc, x1, y1, s.r1*sc, 1)
		}
		br.blur(0.6)
		brMax := float32(0)
		for _, v := range br.pix {
			brMax = max(brMax, v)
		}
		for k, v := range cons.pix {
			o := 1 - math.Exp(-1.6*float64(v))
			o *= 0.9 + 0.8*float64(tex.pix[k])
			if brMax > 0 {
				o -= 0.3 * o * o * float64(br.pix[k]/brMax)
			}
			cons.pix[k] = float32(clamp(o, 0, 1))
		}
		if p.path.fissure != 0 {
			fis := newLayer(lw, lh)
			for j := 0; j < lh; j++ {
				for i := 0; i < lw; i++ {
					dx, dy := float64(i*f)-p.cx, float64(j*f)-p.cy
					y := p.yc + (-dx*sn+dy*cs)/p.scale
					if y < p.path.fissure {
						fis.pix[j*lw+i] = 1
					}
				}
			}
			fis.blur(1)
			for k := range cons.pix {
				cons.pix[k] *= fis.pix[k]
			}
		}
	}

	// Combine in the log domain.
	d := newLayer(lw, lh)
	for j := 0; j < lh; j++ {
		for i := 0; i < lw; i++ {
			k := j*lw + i
			dx, dy := float64(i*f)-p.cx, float64(j*f)-p.cy
			x := (dx*cs + dy*sn) / p.scale
			y := p.yc + (-dx*sn+dy*cs)/p.scale
			lg := float64(lung.pix[k])
			dep := math.Max(0, float64(depth.pix[k])) // running sums can dip a hair below 0
			a := lg * 1.1 * dep * (0.8 + 0.2*dep) * (1 - float64(occ.pix[k]))
			// Apices lie under the shoulder girdle's soft tissue: less air in the ray.
			a *= 0.55 + 0.45*smoothstep(-0.05, 0.6, y)
			fill, extra := 0.0, 0.0
			if cons != nil {
				fill = 0.9 * float64(cons.pix[k])
			}
			if p.path.edema > 0 && lg > 0 {
				var hz float64
				for h := range 2 {
					ddx, ddy := x-p.hila[h][0], y-p.hila[h][1]
					hz += math.Exp(-(ddx*ddx + ddy*ddy) / (2 * 0.22 * 0.22))
				}
				l := &p.lungs[0]
				hz = 0.45*hz + 0.35*smoothstep(0.45*l.base, 1.05*l.base, y)
				fill = math.Max(fill, p.path.edema*hz*0.75)
				extra += 0.1 * p.path.edema * hz * lg // interstitial fluid
				for h := range 2 {
					l := &p.lungs[h]
					eff := p.path.effusion[h]
					xp := x * l.side
					if eff <= 0 || xp < 0 {
						continue
					}
					cp := l.cpX()
					q := clamp((xp-l.domePeak)/(cp-l.domePeak), 0, 1.2)
					// A meniscus, higher against the chest wall, hiding the angle.
					yf := l.base - eff*(0.55+0.45*q*q)
					fl := smoothstep(yf-0.02, yf+0.05, y) * lg
					fill = math.Max(fill, 0.95*fl)
					extra += 0.08 * fl
				}
			}
			a *= 1 - fill
			a *= 1 + 0.5*float64(tex.pix[k])
			v := kBody*float64(body.pix[k]) - kAir*a + extra
			v += float64(bones.pix[k])
			v += kVes / sc * float64(ves.pix[k]) * (0.2 + 0.8*lg*(1-float64(occ.pix[k])))
			v -= float64(air[k]) * (1 - 0.7*lg)
			if p.female {
				for h := range 2 {
					// Breast shadow: a soft lower margin, fading out upwards.
					b := &p.breast[h]
					if r2 := b.r2(x, y); r2 < 1 {
						v += 0.06 * (1 - r2) * smoothstep(b.cy-b.b, b.cy+0.2*b.b, y)
					}
				}
			}
			v += p.gradX*(float64(i)/float64(lw)-0.5) + p.gradY*(float64(j)/float64(lh)-0.3)
			d.pix[k] = float32(v)
		}
	}

	// Processing as a CR reader would: compress the large-scale range, boost the detail.
	base := &layer{w: lw, h: lh, pix: append([]float32(nil), d.pix...)}
	base.blur(0.09 * sc)
	lut := toneCurve()
	for k, v := range d.pix {
		b := base.pix[k]
		e := 0.7*b + 1.35*(v-b)
		t := (e - toneLo) * (toneN - 1) / (toneHi - toneLo)
		t = min(max(t, 0), toneN-1.001)
		i := int(t)
		d.pix[k] = lut[i] + (lut[i+1]-lut[i])*(t-float32(i))
	}
	if p.marker {
		p.drawMarker(d, f)
	}
	return d
}

const (
	toneN  = 1024
	toneLo = -0.6
	toneHi = 2.0
)

// toneCurve tabulates the display curve over [toneLo, toneHi]: a gentle S with a toe and a
// shoulder, 0 at e = 0 and 1 at e = 1.2.
func toneCurve() []float32 {
	sig := func(e float64) float64 { return 1 / (1 + math.Exp(-(e-0.5)/0.24)) }
	toe, shoulder := sig(0), sig(1.2)
	lut := make([]float32, toneN)
	for i := range lut {
		e := toneLo + (toneHi-toneLo)*float64(i)/(toneN-1)
		lut[i] = float32((sig(e) - toe) / (shoulder - toe))
	}
	return lut
}

// drawMarker burns a lead "L" marker into the upper corner on the patient's left, outside the
// body when there is room.
func (p *phantom) drawMarker(d *layer, f int) {
	size := 0.03 * float64(max(p.cols, p.rows))
	px, py := 0.9*float64(p.cols)-size, 0.03*float64(p.rows)
	sn, cs := math.Sincos(p.rot)
	dx, dy := px-p.cx, py+size-p.cy
	x := (dx*cs + dy*sn) / p.scale
	y := p.yc + (-dx*sn+dy*cs)/p.scale
	if p.bodyThickness(x, y) > 0 || p.bodyThickness(x+size/p.scale, y) > 0 {
		return
	}
	bar := size * 0.22
	fill := func(x0, y0, x1, y1 float64) {
		for j := int(y0) / f; j <= int(y1)/f && j < d.h; j++ {
			for i := int(x0) / f; i <= int(x1)/f && i < d.w; i++ {
				d.pix[j*d.w+i] = 0.97
			}
		}
	}
	fill(px, py, px+bar, py+size)
	fill(px, py+size-bar, px+size*0.7, py+size)
}
