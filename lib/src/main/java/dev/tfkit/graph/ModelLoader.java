package dev.tfkit.graph;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TextFormat;
import dev.tfkit.savedmodel.LegacySignatures;
import dev.tfkit.tensor.NativeLimits;
import dev.tfkit.tensor.TfTensors;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.exceptions.TFUnimplementedException;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.AssetFileDef;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.types.TString;

/**
 * Detects a model's format from its path and bytes and reads it into a {@link ModelGraph}; every
 * file is parsed and validated in Java before a native call sees it.
 */
final class ModelLoader {
  private static final Pattern CKPT_PATH = Pattern.compile("model_checkpoint_path:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

  private ModelLoader() {}

  static ModelGraph load(Path path, String... tags) {
    Path p = path.toAbsolutePath().normalize();
    if (Files.isDirectory(p)) {
      if (Files.isRegularFile(p.resolve("saved_model.pb")) || Files.isRegularFile(p.resolve("saved_model.pbtxt"))) {
        return savedModel(p, tags);
      }
      if (Files.isRegularFile(p.resolve("model.json"))) return tfjs(p.resolve("model.json"));
      Path meta = checkpointMetaInFolder(p);
      if (meta != null) return checkpoint(meta, prefixInFolder(p, meta));
      throw new IllegalArgumentException(p + ": no model found in this folder (looked for saved_model.pb, model.json, a checkpoint with a .meta file)");
    }
    String name = p.getFileName().toString();
    if (!Files.exists(p)) {
      if (Files.isRegularFile(Path.of(p + ".meta"))) return checkpoint(Path.of(p + ".meta"), p);
      throw new IllegalArgumentException(p + ": no such file or folder");
    }
    if (name.equals("saved_model.pb") || name.equals("saved_model.pbtxt")) return savedModel(p.getParent(), tags);
    if (name.endsWith(".meta")) return checkpoint(p, Path.of(p.toString().substring(0, p.toString().length() - 5)));
    if (name.endsWith(".json")) return tfjs(p);
    if (name.endsWith(".pbtxt") || name.endsWith(".txt")) return textGraph(p);
    if (Files.isRegularFile(Path.of(p + ".meta"))) return checkpoint(Path.of(p + ".meta"), p); // a V1 checkpoint file
    return binaryGraph(p);
  }

  // ---- GraphDef files ----

  private static ModelGraph binaryGraph(Path p) {
    byte[] bytes = readAll(p);
    sniffWrongType(p, bytes);
    GraphDef g;
    try {
      g = GraphDef.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(p + ": not a binary GraphDef (" + e.getMessage() + ")");
    }
    if (g.getNodeCount() == 0 && bytes.length > 0) {
      // A MetaGraphDef or SavedModel parses as a GraphDef with no nodes: say what it is.
      try {
        MetaGraphDef m = MetaGraphDef.parseFrom(bytes);
        if (m.hasGraphDef() && m.getGraphDef().getNodeCount() > 0) {
          throw new IllegalArgumentException(p + ": a MetaGraphDef, not a GraphDef: rename it to .meta (a checkpoint) or load its SavedModel folder");
        }
      } catch (InvalidProtocolBufferException ignored) {
        // not one either
      }
    }
    GraphValidator.validate(g, p.toString());
    requireImportable(g, p);
    return new ModelGraph(g, Map.of(), Map.of(), Set.of(), List.of(), p, ModelFormat.GRAPH_DEF);
  }

  private static ModelGraph textGraph(Path p) {
    byte[] bytes = readAll(p);
    sniffWrongType(p, bytes);
    GraphDef.Builder b = GraphDef.newBuilder();
    try {
      TextFormat.getParser().merge(new String(bytes, StandardCharsets.UTF_8), b);
    } catch (TextFormat.ParseException e) {
      throw new IllegalArgumentException(p + ": not a text GraphDef (" + e.getMessage() + ")");
    }
    GraphDef g = b.build();
    GraphValidator.validate(g, p.toString());
    requireImportable(g, p);
    return new ModelGraph(g, Map.of(), Map.of(), Set.of(), List.of(), p, ModelFormat.GRAPH_DEF_TEXT);
  }

  /**
   * Imports the graph into TensorFlow once, so that "loaded" means TensorFlow accepts it (dtypes
   * that do not match between nodes, attributes an op requires) rather than only "parsed".
   */
  private static void requireImportable(GraphDef g, Path source) {
    try (Graph graph = new Graph()) {
      graph.importGraphDef(g);
    } catch (TensorFlowException | TFInvalidArgumentException | TFUnimplementedException e) {
      throw new IllegalArgumentException(source + ": TensorFlow refuses the graph: " + firstLine(e.getMessage()));
    }
  }

  /** Refuses files that are clearly something else (images, archives, HDF5, JSON). */
  private static void sniffWrongType(Path p, byte[] b) {
    String kind = null;
    if (b.length == 0) throw new IllegalArgumentException(p + ": the file is empty");
    if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8) kind = "a JPEG image";
    else if (b.length >= 4 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') kind = "a PNG image";
    else if (b.length >= 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b) kind = "a gzip archive";
    else if (b.length >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4) kind = "a zip archive";
    else if (b.length >= 4 && (b[0] & 0xff) == 0x89 && b[1] == 'H' && b[2] == 'D' && b[3] == 'F') kind = "an HDF5 (Keras .h5) file";
    else if (b[0] == '{' || b[0] == '[') kind = "JSON";
    if (kind != null) throw new IllegalArgumentException(p + ": " + kind + ", not a TensorFlow graph");
  }

  // ---- TF.js ----

  private static ModelGraph tfjs(Path json) {
    TfjsGraphModel.Loaded l = TfjsGraphModel.load(json);
    GraphValidator.validate(l.graph(), json.toString());
    requireImportable(l.graph(), json);
    return new ModelGraph(l.graph(), Map.of(), l.signatures(), Set.of(), List.of(), json, ModelFormat.TFJS_GRAPH_MODEL);
  }

  // ---- TF1 checkpoints ----

  private static Path checkpointMetaInFolder(Path dir) {
    List<Path> metas = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.meta")) {
      for (Path m : s) metas.add(m);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    if (metas.isEmpty()) return null;
    Path state = dir.resolve("checkpoint");
    if (Files.isRegularFile(state)) {
      Path prefix = prefixFromState(dir, state);
      if (prefix != null && Files.isRegularFile(Path.of(prefix + ".meta"))) return Path.of(prefix + ".meta");
    }
    if (metas.size() > 1) {
      metas.sort(null);
      throw new IllegalArgumentException(dir + ": several .meta files (" + metas.size() + "); name one, e.g. " + metas.get(metas.size() - 1));
    }
    return metas.get(0);
  }

  private static Path prefixInFolder(Path dir, Path meta) {
    String m = meta.toString();
    return Path.of(m.substring(0, m.length() - 5));
  }

  /** The newest checkpoint named by a {@code checkpoint} state file; paths written on another machine are taken relative to the folder. */
  private static Path prefixFromState(Path dir, Path state) {
    String text = new String(readAll(state), StandardCharsets.UTF_8);
    Matcher m = CKPT_PATH.matcher(text);
    if (!m.find()) return null;
    Path named = Path.of(m.group(1));
    if (!named.isAbsolute()) return dir.resolve(named);
    if (Files.exists(Path.of(named + ".meta")) || Files.exists(Path.of(named + ".index"))) return named;
    return dir.resolve(named.getFileName());
  }

  private static boolean checkpointDataExists(Path prefix) {
    if (Files.isRegularFile(Path.of(prefix + ".index")) || Files.isRegularFile(prefix)) return true;
    String base = prefix.getFileName().toString();
    Pattern shard = Pattern.compile(Pattern.quote(base) + "(-\\d{5}-of-\\d{5}|\\.data-\\d{5}-of-\\d{5})");
    try (Stream<Path> s = Files.list(prefix.getParent())) {
      return s.anyMatch(f -> shard.matcher(f.getFileName().toString()).matches());
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * What to feed the saver's filename tensor: the prefix, except for a V1 checkpoint written in
   * shards (legacy session bundles): the V1 reader takes a glob of the shards.
   */
  private static Path restorePath(Path prefix, SaverDef saver) {
    if (Files.exists(prefix) || Files.exists(Path.of(prefix + ".index"))) return prefix;
    Pattern shard = Pattern.compile(Pattern.quote(prefix.getFileName().toString()) + "-\\d{5}-of-(\\d{5})");
    try (Stream<Path> s = Files.list(prefix.getParent())) {
      for (Path f : (Iterable<Path>) s::iterator) {
        Matcher m = shard.matcher(f.getFileName().toString());
        if (m.matches()) return Path.of(prefix + "-?????-of-" + m.group(1));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + prefix.getParent(), e);
    }
    return prefix;
  }

  private static ModelGraph checkpoint(Path meta, Path prefix) {
    byte[] bytes = readAll(meta);
    sniffWrongType(meta, bytes);
    MetaGraphDef mg;
    try {
      mg = MetaGraphDef.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(meta + ": not a MetaGraphDef (" + e.getMessage() + ")");
    }
    if (!mg.hasGraphDef() || mg.getGraphDef().getNodeCount() == 0) {
      throw new IllegalArgumentException(meta + ": not a MetaGraphDef (no graph_def inside)");
    }
    GraphDef g = mg.getGraphDef();
    GraphValidator.validate(g, meta.toString());
    NativeLimits.checkMetaGraph(mg, meta.toString());
    Map<String, TensorProto> values = Map.of();
    if (hasVariables(g)) {
      if (!checkpointDataExists(prefix)) {
        throw new IllegalArgumentException(meta + ": its checkpoint data is missing (no " + prefix.getFileName() + ".index, "
            + prefix.getFileName() + " or " + prefix.getFileName() + "-NNNNN-of-NNNNN beside it)");
      }
      if (!mg.hasSaverDef()) {
        throw new IllegalArgumentException(meta + ": the meta graph has no SaverDef, so its variables cannot be restored");
      }
      values = restore(g, mg.getSaverDef(), restorePath(prefix, mg.getSaverDef()), meta.toString());
    }
    Map<String, SignatureDef> sigs = mg.getSignatureDefMap();
    if (LegacySignatures.present(mg)) {
      // A legacy SessionBundle export: its serving_signatures up-converted as TF Serving 1.x did,
      // with dtypes from TensorFlow's own view of the graph.
      try (ModelGraph probe = new ModelGraph(g, values, sigs, Set.of(), List.of(), meta, ModelFormat.CHECKPOINT)) {
        sigs = LegacySignatures.signatureDefs(mg, t -> {
          try {
            return probe.spec(t).dtype();
          } catch (RuntimeException e) {
            return null;
          }
        });
      }
    }
    return new ModelGraph(g, values, sigs, Set.copyOf(mg.getMetaInfoDef().getTagsList()), List.of(), meta, ModelFormat.CHECKPOINT);
  }

  static boolean hasVariables(GraphDef g) {
    for (NodeDef n : g.getNodeList()) {
      if (GraphSurgery.REF_VARIABLE_OPS.contains(n.getOp()) || GraphSurgery.RESOURCE_VARIABLE_OPS.contains(n.getOp())) return true;
    }
    return false;
  }

  /** Imports the meta graph, runs its saver's restore op with the prefix fed, and reads every variable. */
  private static Map<String, TensorProto> restore(GraphDef g, SaverDef saver, Path prefix, String source) {
    try (Graph graph = new Graph()) {
      try {
        graph.importGraphDef(g);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(source + ": TensorFlow refused the graph: " + firstLine(e.getMessage()));
      }
      TensorName file = TensorName.parse(saver.getFilenameTensorName());
      String restoreOp = TensorName.parse(saver.getRestoreOpName()).node();
      if (graph.operation(file.node()) == null || graph.operation(restoreOp) == null) {
        throw new IllegalArgumentException(source + ": the SaverDef names '" + saver.getFilenameTensorName() + "' and '"
            + saver.getRestoreOpName() + "', which the graph does not have");
      }
      try (Session s = new Session(graph); TString name = TString.scalarOf(prefix.toString())) {
        s.runner().feed(file.node(), file.index(), name).addTarget(restoreOp).run();
        return readVariables(graph, s, g);
      }
    } catch (TensorFlowException | TFInvalidArgumentException | TFUnimplementedException e) {
      // TF Java's INVALID_ARGUMENT and UNIMPLEMENTED are IllegalArgument- and
      // UnsupportedOperationExceptions, not TensorFlowExceptions: each catch of TF's failures lists them.
      throw new IllegalArgumentException(source + ": restoring variables from " + prefix + " failed: " + firstLine(e.getMessage()));
    }
  }

  /** Reads the value of every initialized variable of {@code g} from a session. */
  static Map<String, TensorProto> readVariables(Graph graph, Session s, GraphDef g) {
    Map<String, TensorProto> values = new LinkedHashMap<>();
    for (NodeDef n : g.getNodeList()) {
      String fetch;
      if (GraphSurgery.REF_VARIABLE_OPS.contains(n.getOp())) {
        fetch = n.getName();
      } else if (GraphSurgery.RESOURCE_VARIABLE_OPS.contains(n.getOp())) {
        DataType dt = n.getAttrOrThrow("dtype").getType();
        String readName = uniqueOpName(graph, "tfkit_read/" + n.getName());
        GraphOperation read = graph.opBuilder("ReadVariableOp", readName, graph.baseScope())
            .addInput(graph.operation(n.getName()).output(0)).setAttr("dtype", dt).build();
        fetch = read.name();
      } else {
        continue;
      }
      try (var r = s.runner().fetch(fetch).run()) {
        Tensor t = r.get(0);
        values.put(n.getName(), TfTensors.toProto(t));
      } catch (TensorFlowException | TFInvalidArgumentException | TFUnimplementedException e) {
        // Not in the checkpoint and never initialized (e.g. a local variable): it stays a variable.
      }
    }
    return values;
  }

  private static String uniqueOpName(Graph g, String base) {
    String s = base;
    for (int i = 1; g.operation(s) != null; i++) s = base + "_" + i;
    return s;
  }

  // ---- SavedModel ----

  private static ModelGraph savedModel(Path dir, String... tags) {
    Path pb = dir.resolve("saved_model.pb");
    SavedModel sm;
    if (Files.isRegularFile(pb)) {
      byte[] bytes = readAll(pb);
      sniffWrongType(pb, bytes);
      try {
        sm = SavedModel.parseFrom(bytes);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException(pb + ": not a SavedModel (" + e.getMessage() + ")");
      }
    } else {
      pb = dir.resolve("saved_model.pbtxt");
      SavedModel.Builder b = SavedModel.newBuilder();
      try {
        TextFormat.getParser().merge(new String(readAll(pb), StandardCharsets.UTF_8), b);
      } catch (TextFormat.ParseException e) {
        throw new IllegalArgumentException(pb + ": not a text SavedModel (" + e.getMessage() + ")");
      }
      sm = b.build();
    }
    if (sm.getMetaGraphsCount() == 0) throw new IllegalArgumentException(pb + ": the SavedModel has no meta graphs");
    MetaGraphDef mg = pickMetaGraph(sm, pb, tags);
    GraphDef g = mg.getGraphDef();
    GraphValidator.validate(g, pb.toString());
    for (MetaGraphDef any : sm.getMetaGraphsList()) NativeLimits.checkMetaGraph(any, pb.toString());
    String[] useTags = mg.getMetaInfoDef().getTagsList().toArray(new String[0]);
    Map<String, TensorProto> values = Map.of();
    if (hasVariables(g) && Files.isRegularFile(dir.resolve("variables/variables.index"))) {
      try (SavedModelBundle bundle = SavedModelBundle.loader(dir.toString()).withTags(useTags).load()) {
        values = readVariables(bundle.graph(), bundle.session(), g);
      } catch (TensorFlowException | TFInvalidArgumentException | TFUnimplementedException e) {
        throw new IllegalArgumentException(dir + ": loading the SavedModel failed: " + firstLine(e.getMessage()));
      }
    }
    List<String> assets = new ArrayList<>();
    for (AssetFileDef a : mg.getAssetFileDefList()) assets.add(a.getFilename());
    // TF1 SavedModels list their assets in a collection instead.
    var coll = mg.getCollectionDefMap().get("saved_model_assets");
    if (coll != null) {
      for (Any any : coll.getAnyList().getValueList()) {
        try {
          String f = any.unpack(AssetFileDef.class).getFilename();
          if (!assets.contains(f)) assets.add(f);
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalArgumentException(pb + ": collection saved_model_assets holds something other than AssetFileDef");
        }
      }
    }
    return new ModelGraph(g, values, mg.getSignatureDefMap(), new LinkedHashSet<>(List.of(useTags)), assets, dir, ModelFormat.SAVED_MODEL);
  }

  private static MetaGraphDef pickMetaGraph(SavedModel sm, Path pb, String... tags) {
    if (tags.length > 0) {
      Set<String> want = Set.of(tags);
      for (MetaGraphDef m : sm.getMetaGraphsList()) if (Set.copyOf(m.getMetaInfoDef().getTagsList()).equals(want)) return m;
      List<String> have = new ArrayList<>();
      for (MetaGraphDef m : sm.getMetaGraphsList()) have.add(String.join(",", m.getMetaInfoDef().getTagsList()));
      throw new IllegalArgumentException(pb + ": no meta graph with tags " + want + "; it has " + have);
    }
    for (MetaGraphDef m : sm.getMetaGraphsList()) if (m.getMetaInfoDef().getTagsList().contains("serve")) return m;
    return sm.getMetaGraphs(0);
  }

  // ---- helpers ----

  static byte[] readAll(Path p) {
    try (InputStream in = Files.newInputStream(p)) {
      long size = Files.size(p);
      if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException(p + ": larger than 2 GB, the protobuf limit");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
    }
  }

  static String firstLine(String s) {
    if (s == null) return "(no message)";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
