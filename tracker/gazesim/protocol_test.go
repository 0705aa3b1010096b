package gazesim

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sightline/tracker/opengaze"
)

// commandCases are request lines and the device's exact answer ("" for none), in the formats of
// the Open Gaze API document (rev. 2.x) and docs/FORMATS.md §4. They run in order on one
// connection, and seed FuzzCommand.
var commandCases = []struct {
	name, send, want string
}{
	{"enable counter", `<SET ID="ENABLE_SEND_COUNTER" STATE="1" />`, `<ACK ID="ENABLE_SEND_COUNTER" STATE="1" />`},
	{"get enable", `<GET ID="ENABLE_SEND_COUNTER" />`, `<ACK ID="ENABLE_SEND_COUNTER" STATE="1" />`},
	{"disable", `<SET ID="ENABLE_SEND_COUNTER" STATE="0" />`, `<ACK ID="ENABLE_SEND_COUNTER" STATE="0" />`},
	{"get disabled group", `<GET ID="ENABLE_SEND_PUPILMM" />`, `<ACK ID="ENABLE_SEND_PUPILMM" STATE="0" />`},
	{"bad state", `<SET ID="ENABLE_SEND_TIME" STATE="2" />`, `<NACK ID="ENABLE_SEND_TIME" />`},
	{"tick frequency", `<GET ID="TIME_TICK_FREQUENCY" />`, `<ACK ID="TIME_TICK_FREQUENCY" FREQ="10000000" />`},
	{"screen size", `<GET ID="SCREEN_SIZE" />`, `<ACK ID="SCREEN_SIZE" X="0" Y="0" WIDTH="1920" HEIGHT="1080" />`},
	{"product", `<GET ID="PRODUCT_ID" />`, `<ACK ID="PRODUCT_ID" VALUE="GP3" BUS="USB2" RATE="60" />`},
	{"product is read-only", `<SET ID="PRODUCT_ID" VALUE="X" />`, `<NACK ID="PRODUCT_ID" />`},
	{"camera", `<GET ID="CAMERA_SIZE" />`, `<ACK ID="CAMERA_SIZE" WIDTH="752" HEIGHT="480" />`},
	{"company", `<GET ID="COMPANY_ID" />`, `<ACK ID="COMPANY_ID" VALUE="GAZEPOINT" />`},
	{"unknown id", `<GET ID="NO_SUCH_THING" />`, `<NACK ID="NO_SUCH_THING" />`},
	{"unknown set", `<SET ID="WARP_DRIVE" STATE="1" />`, `<NACK ID="WARP_DRIVE" />`},
	{"garbage", `hello there`, ``},
	{"no id", `<GET />`, ``},
	{"reply tag", `<ACK ID="CALIBRATE_SHOW" STATE="1" />`, ``},
	{"LF only", "<GET ID=\"CALIBRATE_SHOW\" />\n", `<ACK ID="CALIBRATE_SHOW" STATE="0" />`},
	{"spaces and quotes", `  <SET ID = 'CALIBRATE_SHOW'  STATE="1"/>  `, `<ACK ID="CALIBRATE_SHOW" STATE="1" />`},
	{"timeout", `<GET ID="CALIBRATE_TIMEOUT" />`, `<ACK ID="CALIBRATE_TIMEOUT" VALUE="1.25" />`},
	{"delay", `<GET ID="CALIBRATE_DELAY" />`, `<ACK ID="CALIBRATE_DELAY" VALUE="0.5" />`},
	{"set timeout", `<SET ID="CALIBRATE_TIMEOUT" VALUE="2" />`, `<ACK ID="CALIBRATE_TIMEOUT" VALUE="2" />`},
	{"zero timeout", `<SET ID="CALIBRATE_TIMEOUT" VALUE="0" />`, `<NACK ID="CALIBRATE_TIMEOUT" />`},
	{"summary before any", `<GET ID="CALIBRATE_RESULT_SUMMARY" />`, `<ACK ID="CALIBRATE_RESULT_SUMMARY" AVE_ERROR="0.00" VALID_POINTS="0" />`},
	{"clear", `<SET ID="CALIBRATE_CLEAR" />`, `<ACK ID="CALIBRATE_CLEAR" PTS="0" />`},
	{"add point", `<SET ID="CALIBRATE_ADDPOINT" X="0.5" Y="0.1" />`, `<ACK ID="CALIBRATE_ADDPOINT" PTS="1" X1="0.50000" Y1="0.10000" />`},
	{"add second", `<SET ID="CALIBRATE_ADDPOINT" X="0.85" Y="0.15" />`, `<ACK ID="CALIBRATE_ADDPOINT" PTS="2" X1="0.50000" Y1="0.10000" X2="0.85000" Y2="0.15000" />`},
	{"add outside", `<SET ID="CALIBRATE_ADDPOINT" X="1.5" Y="0.1" />`, `<NACK ID="CALIBRATE_ADDPOINT" />`},
	{"reset", `<SET ID="CALIBRATE_RESET" />`, `<ACK ID="CALIBRATE_RESET" PTS="9" />`},
	{"calibrate state", `<GET ID="CALIBRATE_START" />`, `<ACK ID="CALIBRATE_START" STATE="0" />`},
	{"user data", `<SET ID="USER_DATA" VALUE="SPACE HOST=12" DUR="1" />`, `<ACK ID="USER_DATA" VALUE="SPACE HOST=12" DUR="1" />`},
	{"user data escaped", `<SET ID="USER_DATA" VALUE="a &quot;b&quot; &amp; c" />`, `<ACK ID="USER_DATA" VALUE="a &quot;b&quot; &amp; c" DUR="0" />`},
	{"user data bad dur", `<SET ID="USER_DATA" VALUE="x" DUR="-1" />`, `<NACK ID="USER_DATA" />`},
	{"screen set", `<SET ID="SCREEN_SIZE" X="-1920" Y="0" WIDTH="1920" HEIGHT="1080" />`, `<ACK ID="SCREEN_SIZE" X="-1920" Y="0" WIDTH="1920" HEIGHT="1080" />`},
	{"screen bad", `<SET ID="SCREEN_SIZE" X="0" Y="0" WIDTH="0" HEIGHT="1080" />`, `<NACK ID="SCREEN_SIZE" />`},
	{"data off", `<SET ID="ENABLE_SEND_DATA" STATE="0" />`, `<ACK ID="ENABLE_SEND_DATA" STATE="0" />`},
}

func TestCommands(t *testing.T) {
	c := dial(t, startServer(t, Config{Seed: 1}))
	for _, tc := range commandCases {
		send := tc.send
		if !strings.HasSuffix(send, "\n") {
			send += "\r\n"
		}
		c.send(send)
		if tc.want == "" {
			continue
		}
		if got := c.reply(); got != tc.want {
			t.Errorf("%s: sent %q, got %q, want %q", tc.name, tc.send, got, tc.want)
		}
	}
	// A request split across writes is buffered until its line ends.
	c.send(`<GET ID="COMPA`)
	c.send(`NY_ID" />` + "\r")
	c.send("\n")
	if got, want := c.reply(), `<ACK ID="COMPANY_ID" VALUE="GAZEPOINT" />`; got != want {
		t.Errorf("split request: got %q, want %q", got, want)
	}
}

func TestProductByRate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, `<ACK ID="PRODUCT_ID" VALUE="GP3" BUS="USB2" RATE="60" />`},
		{Config{Rate: 150}, `<ACK ID="PRODUCT_ID" VALUE="GP3HD" BUS="USB3" RATE="150" />`},
		{Config{Rate: 150, Product: "GP3 HD"}, `<ACK ID="PRODUCT_ID" VALUE="GP3 HD" BUS="USB3" RATE="150" />`},
		{Config{Rate: 5000}, `<ACK ID="PRODUCT_ID" VALUE="GP3HD" BUS="USB3" RATE="2000" />`},
	} {
		c := dial(t, startServer(t, tc.cfg))
		c.cmd(`<GET ID="PRODUCT_ID" />`)
		if got := c.reply(); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.cfg, got, tc.want)
		}
	}
}

// realREC is the real GP3 record of docs/FORMATS.md §4.
const realREC = `<REC CNT="43333" TIME="712.77087" TIME_TICK="1155508731205" FPOGX="0.56816" FPOGY="0.39911" FPOGS="712.65570" FPOGD="0.11517" FPOGID="927" FPOGV="1" LPOGX="0.57369" LPOGY="0.41612" LPOGV="1" RPOGX="0.59129" RPOGY="0.43364" RPOGV="1" BPOGX="0.58249" BPOGY="0.42488" BPOGV="1" LPCX="0.26159" LPCY="0.46292" LPD="15.62251" LPS="1.04923" LPV="1" RPCX="0.65861" RPCY="0.44115" RPD="18.38220" RPS="1.05784" RPV="1" LEYEX="-0.17772" LEYEY="0.01077" LEYEZ="2.73629" LPUPILD="0.00469" LPUPILV="0" REYEX="0.02872" REYEY="0.00517" REYEZ="0.64924" RPUPILD="0.00469" RPUPILV="1" CX="-0.56823" CY="0.59500" CS="0" USER="STOP=1493309458542" />`

func TestRecordFields(t *testing.T) {
	real, err := opengaze.Parse([]byte(realREC))
	if err != nil {
		t.Fatal(err)
	}
	probe := []string{"ENABLE_SEND_COUNTER", "ENABLE_SEND_TIME", "ENABLE_SEND_TIME_TICK", "ENABLE_SEND_POG_FIX",
		"ENABLE_SEND_POG_BEST", "ENABLE_SEND_PUPIL_LEFT", "ENABLE_SEND_PUPIL_RIGHT", "ENABLE_SEND_BLINK",
		"ENABLE_SEND_PUPILMM", "ENABLE_SEND_USER_DATA"}
	cases := []struct {
		name   string
		enable []string
		want   []string // nil: the enabled groups' fields in order
	}{
		{"nothing", nil, []string{}},
		{"counter", []string{"ENABLE_SEND_COUNTER"}, []string{"CNT"}},
		{"like the real record", []string{"ENABLE_SEND_USER_DATA", "ENABLE_SEND_CURSOR", "ENABLE_SEND_EYE_RIGHT",
			"ENABLE_SEND_EYE_LEFT", "ENABLE_SEND_PUPIL_RIGHT", "ENABLE_SEND_PUPIL_LEFT", "ENABLE_SEND_POG_BEST",
			"ENABLE_SEND_POG_RIGHT", "ENABLE_SEND_POG_LEFT", "ENABLE_SEND_POG_FIX", "ENABLE_SEND_TIME_TICK",
			"ENABLE_SEND_TIME", "ENABLE_SEND_COUNTER"}, names(real)},
		{"probe's", probe, []string{"CNT", "TIME", "TIME_TICK", "FPOGX", "FPOGY", "FPOGS", "FPOGD", "FPOGID",
			"FPOGV", "BPOGX", "BPOGY", "BPOGV", "LPCX", "LPCY", "LPD", "LPS", "LPV", "RPCX", "RPCY", "RPD", "RPS",
			"RPV", "BKID", "BKDUR", "BKPMIN", "LPMM", "LPMMV", "RPMM", "RPMMV", "USER"}},
		{"blink and mm", []string{"ENABLE_SEND_PUPILMM", "ENABLE_SEND_BLINK"},
			[]string{"BKID", "BKDUR", "BKPMIN", "LPMM", "LPMMV", "RPMM", "RPMMV"}},
		{"everything", allGroups(), nil},
	}
	addr := startServer(t, Config{Seed: 2, Rate: 150})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr)
			c.enable(tc.enable...)
			want := tc.want
			if want == nil {
				for _, f := range groupFields {
					want = append(want, f...)
				}
			}
			c.cmd(`<SET ID="ENABLE_SEND_DATA" STATE="1" />`)
			for i, r := range c.recs(5) {
				if got := names(r); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
					t.Fatalf("record %d fields\n got %v\nwant %v", i, got, want)
				}
			}
			// Turning a group off mid-stream drops its fields from the next records.
			if len(tc.enable) > 0 {
				c.cmd(`<SET ID="` + tc.enable[0] + `" STATE="0" />`)
				if got, want := c.reply(), `<ACK ID="`+tc.enable[0]+`" STATE="0" />`; got != want {
					t.Fatalf("disable: got %q, want %q", got, want)
				}
				g, _ := groupOf(tc.enable[0])
				for _, r := range c.recs(3) {
					for _, f := range groupFields[g] {
						if _, ok := r.Get(f); ok {
							t.Fatalf("%s still sent after disabling %s", f, tc.enable[0])
						}
					}
				}
			}
		})
	}
}

func TestStream(t *testing.T) {
	for _, rate := range []float64{60, 150} {
		t.Run(strconv.FormatFloat(rate, 'f', -1, 64), func(t *testing.T) {
			c := dial(t, startServer(t, Config{Seed: 3, Rate: rate, Speed: 8}))
			c.enable(allGroups()...)
			c.cmd(`<SET ID="ENABLE_SEND_DATA" STATE="1" />`)
			const n = 600
			ss, _ := c.samples(n)
			lastOf := map[int64]int{}
			for i, s := range ss {
				if s.CNT != ss[0].CNT+int64(i) {
					t.Fatalf("record %d: CNT %d after %d", i, s.CNT, ss[0].CNT)
				}
				if want := float64(s.CNT) / rate; math.Abs(s.Time-want) > 0.6e-5 {
					t.Fatalf("CNT %d: TIME %.5f, want %.5f", s.CNT, s.Time, want)
				}
				if i > 0 {
					if d := s.TimeTick - ss[i-1].TimeTick; math.Abs(float64(d)-1e7/rate) > 1 {
						t.Fatalf("CNT %d: TIME_TICK step %d at %g Hz", s.CNT, d, rate)
					}
					p := ss[i-1]
					switch {
					case s.FPOGID == p.FPOGID && s.FPOGV && p.FPOGV:
						if s.FPOGS != p.FPOGS || !(s.FPOGD > p.FPOGD) {
							t.Fatalf("CNT %d: fixation %d does not grow: %+v after %+v", s.CNT, s.FPOGID, s, p)
						}
					case s.FPOGID == p.FPOGID:
						if s.FPOGV && !p.FPOGV {
							t.Fatalf("CNT %d: fixation %d valid again after a gap", s.CNT, s.FPOGID)
						}
					case s.FPOGID != p.FPOGID+1:
						t.Fatalf("CNT %d: FPOGID %d after %d", s.CNT, s.FPOGID, p.FPOGID)
					case !s.FPOGV || s.FPOGD != 0 || s.FPOGS != s.Time:
						t.Fatalf("CNT %d: fixation %d starts with %+v", s.CNT, s.FPOGID, s)
					}
				}
				if s.FPOGV {
					// Time = FPOGS + FPOGD to the digit (docs/FORMATS.md §1).
					if got := strconv.FormatFloat(s.FPOGS+s.FPOGD, 'f', 5, 64); got != strconv.FormatFloat(s.Time, 'f', 5, 64) {
						t.Fatalf("CNT %d: FPOGS+FPOGD = %s, TIME %.5f", s.CNT, got, s.Time)
					}
					lastOf[s.FPOGID] = i
				}
			}
			if len(lastOf) < 3 {
				t.Fatalf("only %d fixations in %d records", len(lastOf), n)
			}
		})
	}
}

func TestUserData(t *testing.T) {
	cases := []struct {
		name, value string
		dur         string // "" sends no DUR
		want        int    // records carrying it; -1 = every record from then on
	}{
		{"one record", "SPACE HOST=123456789", "1", 1},
		{"three records", "SCREEN 2 abc-def HOST=1", "3", 3},
		{"persistent", "STOP=1493309458542", "0", -1},
		{"default persists", "TRIG1", "", -1},
		{"awkward value", `a "quoted" <b> & tab	here`, "1", 1},
	}
	addr := startServer(t, Config{Seed: 4, Rate: 150, Speed: 4})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr)
			c.enable("ENABLE_SEND_COUNTER", "ENABLE_SEND_USER_DATA")
			c.cmd(`<SET ID="ENABLE_SEND_DATA" STATE="1" />`)
			c.recs(5)
			m := opengaze.Message{Tag: "SET", Attrs: []opengaze.Attr{{Name: "ID", Value: "USER_DATA"}, {Name: "VALUE", Value: tc.value}}}
			if tc.dur != "" {
				m.Attrs = append(m.Attrs, opengaze.Attr{Name: "DUR", Value: tc.dur})
			}
			c.send(string(opengaze.AppendMessage(nil, m)))
			var users []string
			seen := 0
			for seen < 20 {
				msg, _ := c.msg()
				switch msg.Tag {
				case "ACK":
					if v, _ := msg.Get("VALUE"); v != tc.value {
						t.Fatalf("ACK VALUE %q, want %q", v, tc.value)
					}
				case "REC":
					u, ok := msg.Get("USER")
					if !ok {
						t.Fatal("REC without USER while ENABLE_SEND_USER_DATA is on")
					}
					users = append(users, u)
					if u == tc.value || seen > 0 {
						seen++
					}
				}
			}
			first := slices.Index(users, tc.value)
			carried := 0
			for _, u := range users[first:] {
				if u != tc.value {
					break
				}
				carried++
			}
			total := 0
			for _, u := range users {
				if u == tc.value {
					total++
				}
			}
			if tc.want >= 0 && (carried != tc.want || total != tc.want) {
				t.Fatalf("USER=%q on %d records (%d in a row), want %d: %q", tc.value, total, carried, tc.want, users)
			}
			if tc.want < 0 && carried != len(users)-first {
				t.Fatalf("USER=%q did not persist: %q", tc.value, users)
			}
			for _, u := range users[:first] {
				if u != "" {
					t.Fatalf("USER %q before the marker", u)
				}
			}
			if tc.want >= 0 {
				for _, u := range users[first+carried:] {
					if u != "" {
						t.Fatalf("USER %q after the marker's records", u)
					}
				}
			}
		})
	}
}
