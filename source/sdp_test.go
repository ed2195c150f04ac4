package source

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/almcast/alm/chunk"
)

// ffmpegSDP is what ffmpeg 5.1 wrote for H.264 to port 5004 and Opus to
// 5006 (see testdata/ffmpeg_h264_opus.sdp).
func ffmpegSDP(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/ffmpeg_h264_opus.sdp")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseSDPFFmpeg(t *testing.T) {
	s, err := LoadSDP("testdata/ffmpeg_h264_opus.sdp")
	if err != nil {
		t.Fatal(err)
	}
	want := []Media{
		{Kind: "video", Port: 5004, PayloadType: 96, Codec: "H264", Clock: 90000},
		{Kind: "audio", Port: 5006, PayloadType: 97, Codec: "opus", Clock: 48000, Channels: 2},
	}
	if !reflect.DeepEqual(s.Media, want) {
		t.Fatalf("media %+v, want %+v", s.Media, want)
	}
	if string(s.Raw) != string(ffmpegSDP(t)) {
		t.Fatal("Raw is not the file")
	}
}

func TestMPEGTSPort(t *testing.T) {
	s, err := MPEGTSPort(5004)
	if err != nil {
		t.Fatal(err)
	}
	want := []Media{{Kind: "video", Port: 5004, PayloadType: 33, Codec: "MP2T", Clock: 90000}}
	if !reflect.DeepEqual(s.Media, want) {
		t.Fatalf("media %+v, want %+v", s.Media, want)
	}
	for _, port := range []int{0, -1, 65536} {
		if _, err := MPEGTSPort(port); !errors.Is(err, ErrSDP) {
			t.Errorf("port %d: %v, want ErrSDP", port, err)
		}
	}
}

func TestParseSDPStatic(t *testing.T) {
	s, err := LoadSDP("testdata/ffmpeg_pcmu.sdp")
	if err != nil {
		t.Fatal(err)
	}
	want := []Media{{Kind: "audio", Port: 5008, PayloadType: 0, Codec: "PCMU", Clock: 8000, Channels: 1}}
	if !reflect.DeepEqual(s.Media, want) {
		t.Fatalf("media %+v, want %+v", s.Media, want)
	}
}

func TestParseSDPTestStream(t *testing.T) {
	s, err := ParseSDP([]byte(TestSDP("127.0.0.1", 5004, 31250)))
	if err != nil {
		t.Fatal(err)
	}
	want := []Media{{Kind: "audio", Port: 5004, PayloadType: TestPayloadType, Codec: "L16", Clock: 31250, Channels: 2}}
	if !reflect.DeepEqual(s.Media, want) {
		t.Fatalf("media %+v, want %+v", s.Media, want)
	}
}

func TestParseSDPFormats(t *testing.T) {
	const head = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	for _, tc := range []struct {
		name, body string
		want       Media
	}{
		{"first with rtpmap", "m=video 5000 RTP/AVPF 100 96\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:100 H264/90000\r\n",
			Media{Kind: "video", Port: 5000, PayloadType: 100, Codec: "H264", Clock: 90000}},
		{"skip dynamic without rtpmap", "m=video 5000 RTP/AVP 98 96\r\na=rtpmap:96 VP8/90000\r\n",
			Media{Kind: "video", Port: 5000, PayloadType: 96, Codec: "VP8", Clock: 90000}},
		{"static PCMA", "m=audio 5000 RTP/AVP 8 0\r\n",
			Media{Kind: "audio", Port: 5000, PayloadType: 8, Codec: "PCMA", Clock: 8000, Channels: 1}},
		{"static L16 mono", "m=audio 5000 RTP/AVP 11\r\n",
			Media{Kind: "audio", Port: 5000, PayloadType: 11, Codec: "L16", Clock: 44100, Channels: 1}},
		{"rtpmap overrides static", "m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
			Media{Kind: "audio", Port: 5000, PayloadType: 0, Codec: "PCMU", Clock: 8000, Channels: 1}},
		{"port/1", "m=audio 5000/1 RTP/AVP 0\r\n",
			Media{Kind: "audio", Port: 5000, PayloadType: 0, Codec: "PCMU", Clock: 8000, Channels: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSDP([]byte(head + tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Media) != 1 || s.Media[0] != tc.want {
				t.Fatalf("media %+v, want %+v", s.Media, tc.want)
			}
		})
	}
}

func TestParseSDPErrors(t *testing.T) {
	const head = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	var nine strings.Builder
	nine.WriteString(head)
	for i := range 9 {
		fmt.Fprintf(&nine, "m=audio %d RTP/AVP %d\r\na=rtpmap:%d opus/48000/2\r\n", 5000+2*i, 96+i, 96+i)
	}
	big := head + "m=audio 5000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n" + strings.Repeat("a=x-pad:0123456789abcdef\r\n", chunk.MaxSDPSize/20)
	for _, tc := range []struct{ name, sdp, msg string }{
		{"empty", "", "empty"},
		{"garbage", "hello world\n", "parse"},
		{"binary", "\x00\x01\x02v=0", "parse"},
		{"no media", head, "no media"},
		{"not RTP", head + "m=application 5000 UDP/DTLS/SCTP webrtc-datachannel\r\n", "not RTP/AVP"},
		{"SAVP", head + "m=audio 5000 RTP/SAVP 0\r\n", "not RTP/AVP"},
		{"port 0", head + "m=audio 0 RTP/AVP 0\r\n", "port 0"},
		{"port missing", head + "m=audio RTP/AVP 0\r\n", "parse"},
		{"port too big", head + "m=audio 70000 RTP/AVP 0\r\n", ""},
		{"port range", head + "m=audio 5000/2 RTP/AVP 0\r\n", "port range"},
		{"no codec", head + "m=video 5000 RTP/AVP 96\r\n", "no payload type"},
		{"no formats", head + "m=video 5000 RTP/AVP\r\n", ""},
		{"format not a number", head + "m=video 5000 RTP/AVP h264\r\n", "not an RTP payload type"},
		{"format over 127", head + "m=video 5000 RTP/AVP 200\r\n", "not an RTP payload type"},
		{"bad rtpmap", head + "m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264\r\n", "rtpmap"},
		{"bad clock", head + "m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/x\r\n", "clock"},
		{"bad channels", head + "m=audio 5000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/0\r\n", "channel"},
		{"duplicate payload type", head + "m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nm=audio 5002 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n", "share payload type 96"},
		{"duplicate port", head + "m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nm=audio 5000 RTP/AVP 97\r\na=rtpmap:97 opus/48000/2\r\n", "share port"},
		{"nine media", nine.String(), "9 media"},
		{"too big", big, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSDP([]byte(tc.sdp))
			if err == nil {
				t.Fatalf("parsed: %+v", s.Media)
			}
			if !errors.Is(err, ErrSDP) {
				t.Fatalf("%v does not wrap ErrSDP", err)
			}
			if !strings.HasPrefix(err.Error(), "source: ") || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q, want source: ...%s...", err, tc.msg)
			}
		})
	}
}

func TestParseSDPEightMedia(t *testing.T) {
	var b strings.Builder
	b.WriteString("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n")
	for i := range MaxMedia {
		fmt.Fprintf(&b, "m=audio %d RTP/AVP %d\r\na=rtpmap:%d opus/48000/2\r\n", 5000+2*i, 96+i, 96+i)
	}
	s, err := ParseSDP([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Media) != MaxMedia {
		t.Fatalf("%d media", len(s.Media))
	}
}

func TestLoadSDPErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadSDP(filepath.Join(dir, "missing.sdp")); err == nil || errors.Is(err, ErrSDP) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	p := filepath.Join(dir, "big.sdp")
	if err := os.WriteFile(p, make([]byte, chunk.MaxSDPSize+100), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSDP(p); !errors.Is(err, ErrSDP) || !strings.Contains(err.Error(), p) {
		t.Fatalf("big file: %v", err)
	}
}
