// Command clockwork prints a greeting and the time of a fixed instant in Berlin.
package main

import (
	"fmt"
	"os"
	"time"

	"example.com/Upper/tzinfo"
	"example.com/clockwork/internal/report"
	"example.com/greet/v2"
	"example.com/localdep"
	"example.com/strutil"
)

func main() {
	loc, err := tzinfo.Zone("Europe/Berlin")
	if err != nil {
		fmt.Fprintln(os.Stderr, "clockwork:", err)
		os.Exit(1)
	}
	instant := time.Date(2024, time.July, 1, 12, 0, 0, 0, time.UTC)
	fmt.Println(greet.Banner())
	fmt.Println(greet.Hello(strutil.Title("ferry")))
	fmt.Println(report.Line("answer", localdep.Answer()))
	fmt.Println(report.Line("berlin", instant.In(loc).Format(time.RFC3339)))
}
