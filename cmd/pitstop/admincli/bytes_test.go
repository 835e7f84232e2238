package admincli

import "testing"

func TestBytesIEC(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"}, {5 << 20, "5.0 MiB"},
		{2 << 30, "2.0 GiB"}, {3 << 40, "3.0 TiB"},
	} {
		if got := bytesIEC(tc.n); got != tc.want {
			t.Errorf("bytesIEC(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
