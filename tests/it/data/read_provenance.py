"""Reads a ferry provenance file as an independent reader would: the
in-toto attestation Python bindings parse the Statement v1 (and validate it)
and the predicate, strictly, as SLSA Provenance v1; then prints the subjects
and the resolved dependencies, one a line, for the test to compare.

Exit 3 when the bindings are missing: scripts/setup.sh installs them.
"""

import json
import sys

try:
    from google.protobuf import json_format
    from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
    from in_toto_attestation.v1.statement import Statement
except ImportError as e:
    print(f"{e}: run scripts/setup.sh (it installs in-toto-attestation==0.9.3)", file=sys.stderr)
    sys.exit(3)

SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"

with open(sys.argv[1], encoding="utf-8") as f:
    doc = json.load(f)

# Unknown fields are errors: the statement must be exactly Statement v1.
statement = Statement.copy_from_pb(json_format.ParseDict(doc, statement_pb2.Statement()))
statement.validate()
if statement.pb.predicate_type != SLSA_PROVENANCE_V1:
    sys.exit(f"predicateType is {statement.pb.predicate_type!r}")

# The bindings have no wrapper (nor validate()) for Provenance v1: the
# predicate is parsed strictly into its proto (timestamps as RFC 3339) and
# the spec's required fields checked here.
provenance = json_format.ParseDict(
    json_format.MessageToDict(statement.pb.predicate), provenance_pb2.Provenance()
)
definition = provenance.build_definition
if not definition.build_type:
    sys.exit("buildDefinition.buildType is required")
if not definition.HasField("external_parameters"):
    sys.exit("buildDefinition.externalParameters is required")
if not provenance.run_details.builder.id:
    sys.exit("runDetails.builder.id is required")
for rd in definition.resolved_dependencies:
    ResourceDescriptor.copy_from_pb(rd).validate()
metadata = provenance.run_details.metadata
if metadata.finished_on.ToDatetime() < metadata.started_on.ToDatetime():
    sys.exit("finishedOn is before startedOn")

for subject in statement.pb.subject:
    print("subject", subject.name, "sha256", subject.digest["sha256"])
for rd in definition.resolved_dependencies:
    for algorithm, value in sorted(rd.digest.items()):
        print("dependency", rd.uri or rd.name, algorithm, value)
