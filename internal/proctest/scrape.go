package proctest

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Scrape reads one series of a process's Prometheus /metrics page: series is its name and
// labels as the text format prints them (`nodeguardian_reconciles_total{result="success"}`).
// A page that does not answer, or does not have the series, reads 0; a value that does not
// parse is an error.
func Scrape(metricsURL, series string) (float64, error) {
	resp, err := http.Get(metricsURL)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), series+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %s: %w", metricsURL, series, err)
		}
		return v, nil
	}
	return 0, nil
}
