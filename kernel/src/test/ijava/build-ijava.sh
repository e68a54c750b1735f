#!/usr/bin/env bash
# Builds IJava (SpencerPark/IJava, Gradle project) from its source without Gradle, the way its
# build.gradle does: javac the sources against jupyter-jvm-basekernel 2.3.0, ivy 2.5.0-rc1 and
# maven-model-builder 3.6.0 (with their transitive dependencies, fetched by Maven into the local
# repository), copy src/main/resources with the @version@/@project@ tokens replaced, and write
# OUT/ijava-VERSION.jar + OUT/lib/*.jar + a kernelspec OUT/kernelspec/java/kernel.json.
#
# usage: build-ijava.sh SRC_DIR OUT_DIR [MVN_FLAGS...]
#   SRC_DIR  an IJava checkout (recorded outputs were made with tag v1.3.0, commit c99a809)
#   OUT_DIR  where the jar, lib/ and kernelspec/ go
#   MVN_FLAGS e.g. -o once the dependencies are in the local repository
set -euo pipefail
SRC=$(cd "$1" && pwd); mkdir -p "$2"; OUT=$(cd "$2" && pwd); shift 2
VERSION=$(sed -n "s/^version = '\(.*\)'/\1/p" "$SRC/build.gradle")
PROJECT=$(basename "$(git -C "$SRC" rev-parse --show-toplevel 2>/dev/null || echo "$SRC")")
# Gradle's project.name is the settings' rootProject.name when set, else the directory name
if [ -f "$SRC/settings.gradle" ] && grep -q rootProject.name "$SRC/settings.gradle"; then
  PROJECT=$(sed -n "s/.*rootProject.name *= *['\"]\(.*\)['\"].*/\1/p" "$SRC/settings.gradle")
fi
[ -n "$VERSION" ] || { echo "build-ijava.sh: no version = '...' in $SRC/build.gradle" >&2; exit 2; }
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
cat > "$WORK/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.ijava-build</groupId><artifactId>ijava-deps</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>io.github.spencerpark</groupId><artifactId>jupyter-jvm-basekernel</artifactId><version>2.3.0</version></dependency>
    <dependency><groupId>org.apache.ivy</groupId><artifactId>ivy</artifactId><version>2.5.0-rc1</version></dependency>
    <dependency><groupId>org.apache.maven</groupId><artifactId>maven-model-builder</artifactId><version>3.6.0</version></dependency>
  </dependencies>
</project>
POM
rm -rf "$OUT/lib" "$OUT/classes"; mkdir -p "$OUT/lib" "$OUT/classes"
mvn -B -q "$@" -f "$WORK/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$OUT/lib"
CP=$(ls "$OUT"/lib/*.jar | tr '\n' ':')
find "$SRC/src/main/java" -name '*.java' > "$WORK/sources"
javac --release 11 -nowarn -encoding UTF-8 -cp "$CP" -d "$OUT/classes" @"$WORK/sources"
( cd "$SRC/src/main/resources" && find . -type f ) | while read -r f; do
  mkdir -p "$(dirname "$OUT/classes/$f")"
  sed -e "s/@version@/$VERSION/g" -e "s/@project@/$PROJECT/g" "$SRC/src/main/resources/$f" > "$OUT/classes/$f"
done
printf 'Main-Class: io.github.spencerpark.ijava.IJava\n' > "$WORK/manifest"
JAR="$OUT/ijava-$VERSION.jar"
jar --create --file "$JAR" --manifest "$WORK/manifest" -C "$OUT/classes" .
rm -rf "$OUT/classes"
# kernelspec as the Gradle jupyter-kernel-installer writes it: java -cp jar:lib/* IJava {connection_file}
mkdir -p "$OUT/kernelspec/java"
python3 - "$OUT" "$JAR" <<'PY'
import json, sys
out, jar = sys.argv[1], sys.argv[2]
spec = {
  "argv": ["java",
           "-cp", jar + ":" + out + "/lib/*", "io.github.spencerpark.ijava.IJava", "{connection_file}"],
  "display_name": "Java (IJava)", "language": "java", "interrupt_mode": "message",
  "env": {}}
json.dump(spec, open(out + "/kernelspec/java/kernel.json", "w"), indent=2)
PY
echo "built $JAR ($(ls "$OUT/lib" | wc -l) jars in $OUT/lib), kernelspec in $OUT/kernelspec/java"
