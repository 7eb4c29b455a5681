# The scripts' own messages in the student's language, decided as the runner
# decides it (crates/course/src/lang.rs): PITLANE_LANG=es|en, otherwise the
# locale (LC_ALL, then LC_MESSAGES, then LANG): es, es_AR.UTF-8… are Spanish.
#
#   source scripts/lang.sh
#   fail "$(tr_ "Python 3 is missing" "Falta Python 3")"

pitlane_lang() {
  case "${PITLANE_LANG:-}" in
    [Ee][Ss]) echo es; return ;;
    [Ee][Nn]) echo en; return ;;
  esac
  local locale="${LC_ALL:-}"
  [[ -n "$locale" ]] || locale="${LC_MESSAGES:-}"
  [[ -n "$locale" ]] || locale="${LANG:-}"
  case "$locale" in
    es | es_* | es.* | es@*) echo es ;;
    *) echo en ;;
  esac
}

# tr_ ENGLISH SPANISH: the message in the student's language.
tr_() {
  if [[ "$(pitlane_lang)" == es ]]; then printf '%s' "$2"; else printf '%s' "$1"; fi
}
