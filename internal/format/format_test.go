package format

import (
	"math"
	"testing"
	"time"
)

func TestNumber(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0"}, {1, "1"}, {-1, "-1"}, {999, "999"}, {1000, "1,000"}, {-1000, "-1,000"},
		{12345, "12,345"}, {123456, "123,456"}, {1234567, "1,234,567"},
		{math.MaxInt64, "9,223,372,036,854,775,807"}, {math.MinInt64, "-9,223,372,036,854,775,808"},
	} {
		if got := Number(c.n); got != c.want {
			t.Errorf("Number(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{
		{0, "0 chats"}, {1, "1 chat"}, {-1, "-1 chat"}, {2, "2 chats"}, {-2, "-2 chats"},
		{1234, "1,234 chats"}, {math.MaxInt32, "2,147,483,647 chats"},
	} {
		if got := Count(c.n, "chat", "chats"); got != c.want {
			t.Errorf("Count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := Count(3, "entry", "entries"); got != "3 entries" {
		t.Errorf("an irregular plural: %q", got)
	}
}

func TestCompactAndTokens(t *testing.T) {
	for _, c := range []struct {
		n             int64
		compact, toks string
	}{
		{0, "0", "0 tokens"},
		{1, "1", "1 token"},
		{-1, "-1", "-1 token"},
		{9876, "9,876", "9,876 tokens"},
		{10000, "10k", "10k tokens"},
		{12345, "12.3k", "12.3k tokens"},
		{-12345, "-12.3k", "-12.3k tokens"},
		{999_949, "999.9k", "999.9k tokens"},
		{999_960, "1M", "1M tokens"},
		{4_500_000, "4.5M", "4.5M tokens"},
		{1_200_000_000, "1.2B", "1.2B tokens"},
		{math.MaxInt64, "9223372036.9B", "9223372036.9B tokens"},
		{math.MinInt64, "-9223372036.9B", "-9223372036.9B tokens"},
	} {
		if got := Compact(c.n); got != c.compact {
			t.Errorf("Compact(%d) = %q, want %q", c.n, got, c.compact)
		}
		if got := Tokens(c.n); got != c.toks {
			t.Errorf("Tokens(%d) = %q, want %q", c.n, got, c.toks)
		}
	}
}

func TestCost(t *testing.T) {
	for _, c := range []struct {
		usd  float64
		want string
	}{
		{0, "$0.00"},
		{math.Copysign(0, -1), "$0.00"},
		{math.NaN(), "unknown"},
		{math.Inf(1), "unknown"},
		{math.Inf(-1), "unknown"},
		{0.00001, "<$0.0001"},
		{0.0001, "$0.0001"},
		{0.00042, "$0.0004"},
		{0.0042, "$0.0042"},
		{0.0075, "$0.0075"},
		{0.01, "$0.01"},
		{0.012, "$0.012"},
		{0.1, "$0.10"},
		{0.35, "$0.35"},
		{0.994, "$0.99"},
		{0.996, "$1.00"},
		{1, "$1.00"},
		{1.25, "$1.25"},
		{12.4, "$12.40"},
		{1234.5, "$1,234.50"},
		{1e6, "$1,000,000.00"},
		{1e20, "$1.00e+20"},
		{-0.5, "-$0.50"},
		{-0.00001, "-<$0.0001"},
		{-1234.5, "-$1,234.50"},
	} {
		if got := Cost(c.usd); got != c.want {
			t.Errorf("Cost(%v) = %q, want %q", c.usd, got, c.want)
		}
	}
}

func TestTotalCost(t *testing.T) {
	for _, c := range []struct {
		usd                float64
		unpriced, requests int
		want               string
	}{
		{0, 0, 0, "$0.00"},
		{0.0123, 0, 4, "$0.012"},
		{0, 4, 4, "unknown"},
		{1.5, 2, 4, "$1.50 + 2 unknown"},
		{1.5, 1234, 5000, "$1.50 + 1,234 unknown"},
	} {
		if got := TotalCost(c.usd, c.unpriced, c.requests); got != c.want {
			t.Errorf("TotalCost(%v, %d, %d) = %q, want %q", c.usd, c.unpriced, c.requests, got, c.want)
		}
	}
}

func TestDuration(t *testing.T) {
	const day = 24 * time.Hour
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 ms"},
		{time.Nanosecond, "0 ms"},
		{time.Millisecond, "1 ms"},
		{850 * time.Millisecond, "850 ms"},
		{999 * time.Millisecond, "999 ms"},
		{999600 * time.Microsecond, "1 s"},
		{time.Second, "1 s"},
		{1500 * time.Millisecond, "1.5 s"},
		{4200 * time.Millisecond, "4.2 s"},
		{9940 * time.Millisecond, "9.9 s"},
		{9960 * time.Millisecond, "10 s"},
		{42 * time.Second, "42 s"},
		{59600 * time.Millisecond, "1 min"},
		{90 * time.Second, "1 min 30 s"},
		{3 * time.Minute, "3 min"},
		{59*time.Minute + 59*time.Second, "59 min 59 s"},
		{time.Hour, "1 h"},
		{2*time.Hour + 5*time.Minute, "2 h 5 min"},
		{2*time.Hour + 5*time.Minute + 40*time.Second, "2 h 6 min"},
		{23*time.Hour + 59*time.Minute + 40*time.Second, "1 d"},
		{3*day + 4*time.Hour, "3 d 4 h"},
		{400 * day, "400 d"},
		{math.MaxInt64, "106752 d"},
		{-1500 * time.Millisecond, "-1.5 s"},
		{-3 * time.Minute, "-3 min"},
		{math.MinInt64, "-106752 d"},
	} {
		if got := Duration(c.d); got != c.want {
			t.Errorf("Duration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestSize(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1, "1 B"},
		{512, "512 B"},
		{999, "999 B"},
		{1000, "1.0 KB"},
		{1024, "1.0 KB"},
		{4000, "4.0 KB"},
		{14_200, "14.2 KB"},
		{999_949, "999.9 KB"},
		{999_950, "1.0 MB"},
		{8_400_000, "8.4 MB"},
		{1_200_000_000, "1.2 GB"},
		{3_000_000_000_000, "3.0 TB"},
		{math.MaxInt64, "9.2 EB"},
		{-512, "-512 B"},
		{-4000, "-4.0 KB"},
		{math.MinInt64, "-9.2 EB"},
	} {
		if got := Size(c.n); got != c.want {
			t.Errorf("Size(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
