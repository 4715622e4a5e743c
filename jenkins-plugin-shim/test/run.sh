#!/usr/bin/env bash
# Run the shared-library tests with the system groovy. Debian's groovy wrapper needs JAVA_HOME
# when /usr/lib/jvm/default-java is missing (a JDK installed without default-jre).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${JAVA_HOME:-}" ] && [ ! -x /usr/lib/jvm/default-java/bin/java ] && command -v java >/dev/null; then
  JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  export JAVA_HOME
fi
exec groovy test/PipeguardStepTest.groovy "$PWD"
