#!/usr/bin/env bash
# Render the Jenkins Job Builder YAML beside this script into real job config.xml files, in
# JENKINS_HOME layout (out/jobs/<job>/config.xml), without a Jenkins server:
#   jenkins-jobs test --config-xml -o out/jobs <file>.yaml
# Needs Debian's `jenkins-job-builder` (3.11.0 when these were rendered).
# Usage: bench/jenkins/jjb/render.sh          re-render into out/
#        bench/jenkins/jjb/render.sh --check  render into a temp dir and diff with out/ (exit 1 on a difference)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v jenkins-jobs >/dev/null || { echo "jenkins-jobs not installed (apt-get install jenkins-job-builder)" >&2; exit 2; }
dest="$here/out"
if [ "${1:-}" = --check ]; then dest="$(mktemp -d)"; trap 'rm -rf "$dest"' EXIT; fi
rm -rf "$dest/jobs"; mkdir -p "$dest/jobs"
for y in "$here"/*.yaml; do
  jenkins-jobs --ignore-cache test --config-xml -o "$dest/jobs" "$y" >/dev/null 2>"$dest/.log" \
    || { cat "$dest/.log" >&2; exit 2; }
done
rm -f "$dest/.log"
if [ "${1:-}" = --check ]; then
  diff -r "$here/out/jobs" "$dest/jobs" && echo "rendered XML matches out/"
else
  echo "rendered $(find "$dest/jobs" -name config.xml | wc -l) jobs into $dest/jobs ($(jenkins-jobs --version 2>&1))"
fi
