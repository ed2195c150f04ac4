package player

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
)

func readTestSDP(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/ffmpeg_h264_opus.sdp")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func unmarshal(t testing.TB, b []byte) *sdp.SessionDescription {
	t.Helper()
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(b); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return &sd
}

func TestOutputSDPFFmpeg(t *testing.T) {
	src := readTestSDP(t)
	out, err := OutputSDP(src, "192.0.2.7", 7000)
	if err != nil {
		t.Fatal(err)
	}
	in, sd := unmarshal(t, src), unmarshal(t, out)
	if sd.ConnectionInformation == nil || sd.ConnectionInformation.Address.Address != "192.0.2.7" || sd.ConnectionInformation.AddressType != "IP4" {
		t.Fatalf("session c= %+v", sd.ConnectionInformation)
	}
	if sd.Origin.UnicastAddress != "192.0.2.7" {
		t.Fatalf("o= %+v", sd.Origin)
	}
	if len(sd.MediaDescriptions) != 2 {
		t.Fatalf("%d media", len(sd.MediaDescriptions))
	}
	for i, md := range sd.MediaDescriptions {
		if md.MediaName.Port.Value != 7000+2*i {
			t.Errorf("media %d port %d", i, md.MediaName.Port.Value)
		}
		if c := md.ConnectionInformation; c == nil || c.Address.Address != "192.0.2.7" {
			t.Errorf("media %d c= %+v", i, c)
		}
		im := in.MediaDescriptions[i]
		if md.MediaName.Media != im.MediaName.Media || !reflect.DeepEqual(md.MediaName.Formats, im.MediaName.Formats) ||
			!reflect.DeepEqual(md.MediaName.Protos, im.MediaName.Protos) || !reflect.DeepEqual(md.Attributes, im.Attributes) ||
			!reflect.DeepEqual(md.Bandwidth, im.Bandwidth) {
			t.Errorf("media %d changed: %+v, was %+v", i, md, im)
		}
	}
	for _, want := range []string{"a=rtpmap:96 H264/90000", "a=fmtp:96 packetization-mode=1", "a=rtpmap:97 opus/48000/2", "m=video 7000 RTP/AVP 96", "m=audio 7002 RTP/AVP 97"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Rewriting again changes nothing.
	again, err := OutputSDP(out, "192.0.2.7", 7000)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(out) {
		t.Fatalf("not idempotent:\n%s\n%s", out, again)
	}
	// And another round trip through pion gives the same description.
	re, err := sd.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(re) != string(out) {
		t.Fatalf("pion round trip differs:\n%s\n%s", out, re)
	}
}

func TestOutputSDPTestStream(t *testing.T) {
	src := "v=0\r\no=- 0 0 IN IP4 10.0.0.1\r\ns=alm test stream\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 96\r\na=rtpmap:96 L16/31250/2\r\na=rtcp:5005\r\n"
	out, err := OutputSDP([]byte(src), "localhost", 6000)
	if err != nil {
		t.Fatal(err)
	}
	want := "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=alm test stream\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 96\r\na=rtpmap:96 L16/31250/2\r\n"
	if string(out) != want {
		t.Fatalf("got\n%q\nwant\n%q", out, want)
	}
}

func TestOutputSDPIPv6(t *testing.T) {
	out, err := OutputSDP(readTestSDP(t), "::1", 7000)
	if err != nil {
		t.Fatal(err)
	}
	sd := unmarshal(t, out)
	if c := sd.ConnectionInformation; c.AddressType != "IP6" || c.Address.Address != "::1" {
		t.Fatalf("c= %+v", c)
	}
	if c := sd.MediaDescriptions[1].ConnectionInformation; c.AddressType != "IP6" || c.Address.Address != "::1" {
		t.Fatalf("media c= %+v", c)
	}
}

func TestOutputSDPErrors(t *testing.T) {
	src := readTestSDP(t)
	for _, tc := range []struct {
		name string
		src  []byte
		host string
		port int
	}{
		{"empty", nil, "127.0.0.1", 7000},
		{"garbage", []byte("nope"), "127.0.0.1", 7000},
		{"no media", []byte("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\n"), "127.0.0.1", 7000},
		{"host name", src, "example.com", 7000},
		{"odd port", src, "127.0.0.1", 7001},
		{"zero port", src, "127.0.0.1", 0},
		{"ports past 65535", src, "127.0.0.1", 65534},
		{"huge", append(append([]byte{}, src...), strings.Repeat("a=x:y\r\n", maxOutputSDP/7)...), "127.0.0.1", 7000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if out, err := OutputSDP(tc.src, tc.host, tc.port); err == nil {
				t.Fatalf("accepted:\n%s", out)
			} else if !strings.HasPrefix(err.Error(), "player: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestWriteSDP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.sdp")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteSDP(path, readTestSDP(t), "127.0.0.1", 9000); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := OutputSDP(readTestSDP(t), "127.0.0.1", 9000)
	if string(b) != string(want) {
		t.Fatalf("file holds\n%s", b)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v", fi.Mode())
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Fatalf("left behind: %v", ents)
	}
	if err := WriteSDP(filepath.Join(t.TempDir(), "x.sdp"), []byte("bad"), "127.0.0.1", 9000); err == nil {
		t.Fatal("bad SDP written")
	}
	if err := WriteSDP(filepath.Join(t.TempDir(), "no", "such", "dir.sdp"), readTestSDP(t), "127.0.0.1", 9000); err == nil {
		t.Fatal("wrote into a missing directory")
	}
}

func TestOutputMedia(t *testing.T) {
	src := "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=video 5000 RTP/AVP 96 98 26\r\na=rtpmap:96 H264/90000\r\na=rtpmap:99 VP8/90000\r\n" +
		"m=audio 5002 RTP/AVP 0 8 10 97\r\na=rtpmap:97 opus/48000/2\r\n"
	got := outputMedia(unmarshal(t, []byte(src)))
	want := []outMedia{
		{types: map[uint8]int{96: 90000, 98: 0, 26: 90000}},
		{types: map[uint8]int{0: 8000, 8: 8000, 10: 44100, 97: 48000}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
