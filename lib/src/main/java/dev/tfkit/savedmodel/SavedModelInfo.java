package dev.tfkit.savedmodel;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TextFormat;
import dev.tfkit.tensor.NativeLimits;
import dev.tfkit.tensor.SignatureTable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.tensorflow.proto.AssetFileDef;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import tech.tablesaw.api.Table;

/**
 * What a SavedModel folder holds, like {@code saved_model_cli show --all}: each MetaGraph's tags,
 * its signatures with dtypes and shapes, its assets, and the size of {@code variables/}. Read
 * without TensorFlow's runtime.
 */
public final class SavedModelInfo {
  private final Path dir;
  private final SavedModel savedModel;
  private final long variableBytes;
  private final long graphBytes;

  private SavedModelInfo(Path dir, SavedModel savedModel, long variableBytes, long graphBytes) {
    this.dir = dir;
    this.savedModel = savedModel;
    this.variableBytes = variableBytes;
    this.graphBytes = graphBytes;
  }

  /** Reads {@code dir/saved_model.pb} (or {@code saved_model.pbtxt}) and sizes {@code dir/variables}. */
  public static SavedModelInfo read(Path dir) {
    if (!Files.isDirectory(dir)) throw new IllegalArgumentException("SavedModel folder " + dir + " not found");
    Path pb = dir.resolve("saved_model.pb");
    Path pbtxt = dir.resolve("saved_model.pbtxt");
    SavedModel sm;
    long size;
    try {
      if (Files.isRegularFile(pb)) {
        size = Files.size(pb);
        try (InputStream in = Files.newInputStream(pb)) {
          sm = SavedModel.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalArgumentException(pb + " is not a SavedModel proto: " + e.getMessage(), e);
        }
      } else if (Files.isRegularFile(pbtxt)) {
        size = Files.size(pbtxt);
        SavedModel.Builder b = SavedModel.newBuilder();
        try {
          TextFormat.merge(Files.readString(pbtxt, StandardCharsets.UTF_8), b);
        } catch (TextFormat.ParseException e) {
          throw new IllegalArgumentException(pbtxt + " is not a SavedModel text proto: " + e.getMessage(), e);
        }
        sm = b.build();
      } else {
        throw new IllegalArgumentException("no saved_model.pb in " + dir);
      }
      return new SavedModelInfo(dir, sm, folderBytes(dir.resolve("variables")), size);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read SavedModel " + dir, e);
    }
  }

  private static long folderBytes(Path d) throws IOException {
    if (!Files.isDirectory(d)) return 0;
    try (Stream<Path> s = Files.walk(d)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  public Path dir() {
    return dir;
  }

  /**
   * Checks every MetaGraph against the limits TensorFlow's C++ enforces with fatal CHECKs ({@link
   * NativeLimits}: ranks, element counts, constants, dtypes in the graph, its functions and the
   * signatures), so that a hostile or corrupt folder is refused with a message instead of aborting
   * the process when TensorFlow loads it.
   *
   * @return this, for chaining
   * @throws IllegalArgumentException naming the file, the node and the attribute
   */
  public SavedModelInfo checkNativeLimits() {
    String source = dir.resolve(graphFileName()).toString();
    for (MetaGraphDef m : savedModel.getMetaGraphsList()) {
      NativeLimits.checkMetaGraph(m, source + " (tags " + m.getMetaInfoDef().getTagsList() + ")");
    }
    return this;
  }

  /**
   * Checks that the checkpoint the MetaGraph with {@code tags} restores is all there: a graph with
   * variables and a saver needs {@code variables/variables.index} and every data shard the shard
   * names count.
   * Without this a folder whose {@code variables/} is still being copied loads with uninitialized
   * variables and answers every request with FAILED_PRECONDITION.
   *
   * @throws IllegalArgumentException naming what is missing
   */
  public void checkVariablesPresent(String... tags) {
    MetaGraphDef m = metaGraph(tags);
    // Only a meta graph with a saver restores from variables/ (TensorFlow's loader skips the
    // restore when the index is missing); others initialize their variables in the init op.
    if (!m.hasSaverDef() || m.getSaverDef().getRestoreOpName().isEmpty()) return;
    boolean hasVariables = m.getGraphDef().getNodeList().stream().anyMatch(n -> VARIABLE_OPS.contains(n.getOp()));
    if (!hasVariables) return;
    Path vars = dir.resolve("variables");
    if (!Files.isRegularFile(vars.resolve("variables.index"))) {
      throw new IllegalArgumentException(
          "SavedModel " + dir + " has variables but no variables/variables.index"
              + " (is the folder still being copied? copy it elsewhere, then rename it into place)");
    }
    Pattern shard = Pattern.compile("variables\\.data-(\\d{5})-of-(\\d{5})");
    Set<String> names = new TreeSet<>();
    int total = -1;
    try (Stream<Path> files = Files.list(vars)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Matcher mm = shard.matcher(f.getFileName().toString());
        if (mm.matches()) {
          names.add(f.getFileName().toString());
          total = Math.max(total, Integer.parseInt(mm.group(2)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + vars, e);
    }
    if (total < 0) {
      throw new IllegalArgumentException(
          "SavedModel " + dir + " has variables/variables.index but no variables.data-NNNNN-of-NNNNN file"
              + " (is the folder still being copied?)");
    }
    for (int i = 0; i < total; i++) {
      String want = String.format("variables.data-%05d-of-%05d", i, total);
      if (!names.contains(want)) {
        throw new IllegalArgumentException(
            "SavedModel " + dir + " lacks the checkpoint shard variables/" + want
                + " (is the folder still being copied?)");
      }
    }
  }

  /** Ops that hold variables restored from {@code variables/}. */
  private static final Set<String> VARIABLE_OPS =
      Set.of("Variable", "VariableV2", "AutoReloadVariable", "VarHandleOp", "_VarHandlesOp");

  private String graphFileName() {
    return Files.isRegularFile(dir.resolve("saved_model.pb")) ? "saved_model.pb" : "saved_model.pbtxt";
  }

  /** The parsed {@code saved_model.pb}. */
  public SavedModel proto() {
    return savedModel;
  }

  /** The tag sets, one per MetaGraph. */
  public List<List<String>> tagSets() {
    return savedModel.getMetaGraphsList().stream().map(m -> List.copyOf(m.getMetaInfoDef().getTagsList())).toList();
  }

  /** The MetaGraph whose tag set is exactly {@code tags} (order ignored). */
  public MetaGraphDef metaGraph(String... tags) {
    List<String> want = List.of(tags).stream().sorted().toList();
    for (MetaGraphDef m : savedModel.getMetaGraphsList()) {
      if (m.getMetaInfoDef().getTagsList().stream().sorted().toList().equals(want)) return m;
    }
    throw new IllegalArgumentException(
        "SavedModel " + dir + " has no MetaGraph with tags " + want + "; it has " + tagSets());
  }

  /** The signatures of the MetaGraph with {@code tags}, by key. */
  public Map<String, SignatureDef> signatures(String... tags) {
    return metaGraph(tags).getSignatureDefMap();
  }

  /** Asset file names of the MetaGraph with {@code tags}, as in {@code assets/}. */
  public List<String> assets(String... tags) {
    return assetDefs(metaGraph(tags)).stream().map(AssetFileDef::getFilename).toList();
  }

  /**
   * The MetaGraph's asset file defs: its {@code asset_file_def} field, or (TF1 exports) the
   * {@code saved_model_assets} collection, the way TensorFlow's loader reads them.
   */
  static List<AssetFileDef> assetDefs(MetaGraphDef m) {
    if (m.getAssetFileDefCount() > 0) return m.getAssetFileDefList();
    CollectionDef c = m.getCollectionDefMap().get("saved_model_assets");
    if (c == null || !c.hasAnyList()) return List.of();
    List<AssetFileDef> out = new ArrayList<>();
    for (Any a : c.getAnyList().getValueList()) {
      try {
        out.add(a.unpack(AssetFileDef.class));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException("collection saved_model_assets holds a bad AssetFileDef: " + e.getMessage(), e);
      }
    }
    return out;
  }

  /** Total bytes under {@code variables/}. */
  public long variableBytes() {
    return variableBytes;
  }

  /** Bytes of {@code saved_model.pb}. */
  public long graphBytes() {
    return graphBytes;
  }

  /** A shape as saved_model_cli prints it: {@code (-1, 1)}, {@code ()} or {@code unknown_rank}. */
  public static String shapeText(TensorShapeProto s) {
    if (s.getUnknownRank()) return "unknown_rank";
    String dims = s.getDimList().stream().map(d -> Long.toString(d.getSize())).collect(Collectors.joining(", "));
    return "(" + dims + (s.getDimCount() == 1 ? "," : "") + ")";
  }

  /**
   * One row per signature input and output: tags, signature, method, io, key, tensor, dtype, shape
   * (the layout of {@link SignatureTable}, shared with a served model's metadata table).
   */
  public Table table() {
    SignatureTable t = SignatureTable.create(true);
    for (MetaGraphDef m : savedModel.getMetaGraphsList()) {
      t.add(String.join(",", m.getMetaInfoDef().getTagsList()), m.getSignatureDefMap());
    }
    return t.toTable("SavedModel " + dir.getFileName());
  }

  /** The saved_model_cli-style text: every MetaGraph, signature, input and output, plus assets and sizes. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append("SavedModel ").append(dir).append('\n');
    sb.append("saved_model.pb: ").append(graphBytes).append(" bytes; variables/: ").append(variableBytes).append(" bytes\n");
    for (MetaGraphDef m : savedModel.getMetaGraphsList()) {
      sb.append("\nMetaGraphDef with tag-set: '").append(String.join(", ", m.getMetaInfoDef().getTagsList()))
          .append("' contains the following SignatureDefs:\n");
      for (Map.Entry<String, SignatureDef> s : new TreeMap<>(m.getSignatureDefMap()).entrySet()) {
        sb.append("\nsignature_def['").append(s.getKey()).append("']:\n");
        sb.append("  The given SavedModel SignatureDef contains the following input(s):\n");
        appendInfos(sb, "inputs", s.getValue().getInputsMap());
        sb.append("  The given SavedModel SignatureDef contains the following output(s):\n");
        appendInfos(sb, "outputs", s.getValue().getOutputsMap());
        sb.append("  Method name is: ").append(s.getValue().getMethodName()).append('\n');
      }
      if (!assetDefs(m).isEmpty()) {
        sb.append("\nAssets:\n");
        for (AssetFileDef a : assetDefs(m)) {
          sb.append("  ").append(a.getFilename()).append(" <- fed into ").append(a.getTensorInfo().getName()).append('\n');
        }
      }
    }
    return sb.toString();
  }

  private static void appendInfos(StringBuilder sb, String what, Map<String, TensorInfo> infos) {
    for (Map.Entry<String, TensorInfo> e : new TreeMap<>(infos).entrySet()) {
      TensorInfo i = e.getValue();
      sb.append("    ").append(what).append("['").append(e.getKey()).append("'] tensor_info:\n");
      sb.append("        dtype: ").append(i.getDtype().name()).append('\n');
      sb.append("        shape: ").append(shapeText(i.getTensorShape())).append('\n');
      sb.append("        name: ").append(i.getName()).append('\n');
    }
  }

  /** Names of the signatures of every MetaGraph (for messages). */
  static List<String> keys(Map<String, SignatureDef> sigs) {
    List<String> k = new ArrayList<>(sigs.keySet());
    k.sort(null);
    return k;
  }
}
