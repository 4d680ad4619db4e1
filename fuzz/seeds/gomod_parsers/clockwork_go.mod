module example.com/clockwork

go 1.22

require (
	example.com/Upper/tzinfo v1.0.0
	example.com/greet/v2 v2.1.0
	example.com/localdep v0.0.0
	example.com/strutil v1.0.0
)

// strutil v1.0.0 lacks Title; the service needs the fix in v1.1.0.
replace example.com/strutil v1.0.0 => example.com/strutil v1.1.0

replace example.com/localdep => ./third_party/localdep
