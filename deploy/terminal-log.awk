# deploy/run.sh's terminal view of a program's log: the program writes JSON lines (kept whole in .run/logs/), and the
# terminal gets one readable line per warning, error or critical, so an idle stack prints nothing under run.sh's banner.
# Lines that are not JSON (a crash's stack, dotnet's own errors) pass as they are. Usage: awk -v program=NAME -f this.
# The JSON console formatter writes one object per line, Timestamp, EventId, LogLevel, Category, Message first.
function field(line, name,    value) {
  if (!match(line, "\"" name "\":\"([^\"\\\\]|\\\\.)*\"")) return ""
  value = substr(line, RSTART + length(name) + 4, RLENGTH - length(name) - 5)
  gsub(/\\u0027/, "'", value); gsub(/\\u0022|\\"/, "\"", value); gsub(/\\u003C/, "<", value); gsub(/\\u003E/, ">", value)
  gsub(/\\u0026/, "\\&", value); gsub(/\\u002B/, "+", value); gsub(/\\[rn]/, " ", value); gsub(/\\\\/, "\\", value)
  return value
}
/^\{"Timestamp":/ {
  level = field($0, "LogLevel")
  if (level != "Warning" && level != "Error" && level != "Critical") next
  line = substr(field($0, "Timestamp"), 12, 8) " " (level == "Warning" ? "warn" : level == "Error" ? "fail" : "crit") \
    " [" program "] " field($0, "Category") ": " field($0, "Message")
  exception = field($0, "Exception")
  if (exception != "") { sub(/ +at .*/, "", exception); line = line " (" exception ")" }
  print line
  fflush()
  next
}
{ print "[" program "] " $0; fflush() }
