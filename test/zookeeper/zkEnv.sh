# Stand-in for the zkEnv.sh of the image the ZooKeeperEnsemble defaults target (Docker Official
# Image zookeeper:3.8), pointed at the jars of Debian's zookeeper package. Debian's own zkEnv.sh
# is a fixed file that ignores ZOOCFGDIR; upstream's, which the image ships, does this:
#   - uses $ZOOCFGDIR when set, and $ZOOCFGDIR/zoo.cfg as the configuration;
#   - sources $ZOOCFGDIR/java.env when it exists (the rendered JVM settings live there);
#   - puts the configuration directory on the classpath;
#   - prepends -Xmx${ZK_SERVER_HEAP:-1000}m to SERVER_JVMFLAGS (the last -Xmx on the line wins).
# Debian's real zkServer.sh sources this file and starts QuorumPeerMain.
ZOOCFGDIR="${ZOOCFGDIR:-/conf}"
ZOOCFG="$ZOOCFGDIR/${ZOOCFG:-zoo.cfg}"
if [ -e "$ZOOCFGDIR/java.env" ]; then
  . "$ZOOCFGDIR/java.env"
fi
ZOO_LOG_DIR="${ZOO_LOG_DIR:-.}"
JAVA="${JAVA:-java}"
# Logs go to stderr through slf4j-simple; the harness keeps them in a file per server.
CLASSPATH="$ZOOCFGDIR:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
ZK_SERVER_HEAP="${ZK_SERVER_HEAP:-1000}"
export SERVER_JVMFLAGS="-Xmx${ZK_SERVER_HEAP}m $SERVER_JVMFLAGS"
