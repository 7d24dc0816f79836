# Sourced first by the shell commands of scripts/: with --help, a command prints its header comment (the
# lines after `#!`, up to the first line that is not a comment) and exits before doing anything.
if [ "${1:-}" = --help ]; then
    sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"
    exit 0
fi
