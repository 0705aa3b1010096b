package demo

import "math"

// region returns the pixel bounding box of the anatomy where inside holds, sampling on a grid
// of 1/250 chest unit (about 4 pixels) within the rectangle given; a coarse pass first narrows
// the rectangle down. ok is false when nothing is inside.
func (p *phantom) region(inside func(x, y float64) bool, xlo, xhi, ylo, yhi float64) (b Box, ok bool) {
	const coarse, fine, margin = 0.02, 0.004, 0.03
	cx0, cx1, cy0, cy1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for y := ylo; y <= yhi; y += coarse {
		for x := xlo; x <= xhi; x += coarse {
			if inside(x, y) {
				cx0, cx1 = math.Min(cx0, x), math.Max(cx1, x)
				cy0, cy1 = math.Min(cy0, y), math.Max(cy1, y)
			}
		}
	}
	if cx0 > cx1 {
		return Box{}, false
	}
	xlo, xhi = math.Max(xlo, cx0-margin), math.Min(xhi, cx1+margin)
	ylo, yhi = math.Max(ylo, cy0-margin), math.Min(yhi, cy1+margin)
	b = Box{X1: math.Inf(1), Y1: math.Inf(1), X2: math.Inf(-1), Y2: math.Inf(-1)}
	for y := ylo; y <= yhi; y += fine {
		for x := xlo; x <= xhi; x += fine {
			if !inside(x, y) {
				continue
			}
			px, py := p.toPixel(x, y)
			b.X1, b.X2 = math.Min(b.X1, px), math.Max(b.X2, px)
			b.Y1, b.Y2 = math.Min(b.Y1, py), math.Max(b.Y2, py)
			ok = true
		}
	}
	return b, ok
}

// clip rounds a box to whole pixels inside the image; ok is false when nothing is left.
func (p *phantom) clip(b Box) (Box, bool) {
	w, h := float64(p.cols-1), float64(p.rows-1)
	b.X1, b.X2 = math.Round(clamp(b.X1, 0, w)), math.Round(clamp(b.X2, 0, w))
	b.Y1, b.Y2 = math.Round(clamp(b.Y1, 0, h)), math.Round(clamp(b.Y2, 0, h))
	return b, b.X1 < b.X2 && b.Y1 < b.Y2
}

// boxes returns the 17 EGD-CXR boxes in BoxNames order, from the geometry that was drawn.
// A box whose anatomy falls outside the image is left out, as in EGD-CXR.
func (p *phantom) boxes() []Box {
	named := map[string]Box{}
	put := func(name string, b Box, ok bool) {
		if !ok {
			return
		}
		if b, ok = p.clip(b); ok {
			b.Name = name
			named[name] = b
		}
	}
	ymax := p.lungs[1].base + 0.3
	for i, side := range []string{"right", "left"} {
		l := &p.lungs[i]
		// The lung as seen: not where the mediastinum or the heart hides it.
		visible := func(x, y float64) bool { return l.inside(x, y) && p.occlusion(x, y) < 0.5 }
		lb, ok := p.region(visible, -1.3, 1.3, -0.3, ymax)
		put(side+" lung", lb, ok)
		third := (lb.Y2 - lb.Y1) / 3
		for z, zone := range []string{"upper", "mid", "lower"} {
			zb := lb
			zb.Y1, zb.Y2 = lb.Y1+float64(z)*third, lb.Y1+float64(z+1)*third
			put(side+" "+zone+" lung zone", zb, ok)
		}
		hx, hy := p.hila[i][0], p.hila[i][1]
		hil := ellipse{cx: hx - l.side*0.02, cy: hy, a: 0.15, b: 0.2}
		b, ok := p.region(func(x, y float64) bool { return hil.r2(x, y) < 1 }, hx-0.3, hx+0.3, hy-0.3, hy+0.3)
		put(side+" hilar structures", b, ok)

		cp := l.cpX()
		corner := func(x, y float64) bool {
			xp := x * l.side
			return xp > cp-0.2 && xp < cp+0.06 && y > l.base-0.22 && y < l.base+0.06
		}
		b, ok = p.region(corner, -1.4, 1.4, l.base-0.3, l.base+0.1)
		put(side+" costophrenic angle", b, ok)

		clav := func(x, y float64) bool {
			xp := x * l.side
			if xp < p.clavX0 || xp > p.clavLen {
				return false
			}
			uc := (xp - p.clavX0) / (p.clavLen - p.clavX0)
			yc := p.clavY0 - p.clavRise*uc + 0.035*math.Sin(2*math.Pi*uc)
			return math.Abs(y-yc) < p.clavW*(1.35-0.55*uc+0.35*uc*uc)
		}
		b, ok = p.region(clav, -1.4, 1.4, -0.3, 0.7)
		put(side+" clavicle", b, ok)
	}

	_, hh := p.heart.extent()
	heartTop := min(p.heart.cy-hh, p.atrium.cy-p.atrium.b)
	med := func(x, y float64) bool {
		return y >= 0 && y <= heartTop && x > -p.medRight(y) && x < p.medLeft(y)
	}
	b, ok := p.region(med, -0.6, 0.6, 0, heartTop)
	put("upper mediastinum", b, ok)

	heart := func(x, y float64) bool {
		l := &p.lungs[0]
		if x > 0 {
			l = &p.lungs[1]
		}
		return p.inHeart(x, y) && y <= l.dome(math.Abs(x))
	}
	b, ok = p.region(heart, -1.2, 1.2, 0, ymax)
	put("cardiac silhouette", b, ok)

	trach := func(x, y float64) bool { return math.Abs(x-p.trachX) <= p.trachW }
	b, ok = p.region(trach, p.trachX-0.1, p.trachX+0.1, p.clavY0-0.4, p.carinaY)
	put("trachea", b, ok)

	out := make([]Box, 0, len(BoxNames))
	for _, name := range BoxNames {
		if b, ok := named[name]; ok {
			out = append(out, b)
		}
	}
	return out
}
