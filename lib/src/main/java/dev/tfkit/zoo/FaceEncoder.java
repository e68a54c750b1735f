package dev.tfkit.zoo;

import dev.tfkit.graph.ModelGraph;
import dev.tfkit.graph.TensorName;
import java.nio.file.Path;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TUint8;

/**
 * The {@code face_encoder} model: {@code faceres} (HSE FaceRes, from {@code @vladmandic/human})
 * cut to its 1024-d face embedding by node names — the walkthrough's extract-subgraph step that drops the
 * age and gender heads — with resizing added in the graph: input {@code input_images} uint8 [N, H,
 * W, 3] face crops of any size, output {@code output} float [N, 1024].
 */
public final class FaceEncoder {
  /** The npm package that holds the model. */
  public static final String PACKAGE = "@vladmandic/human";
  /** Its version. */
  public static final String VERSION = "3.3.6";
  /** The TF.js graph model inside the package. */
  public static final String MODEL = "models/faceres.json";
  /** faceres' input placeholder. */
  public static final String RAW_INPUT = "input_1";
  /** The embedding inside faceres: global average pooling before the age and gender heads. */
  public static final String EMBEDDING = "global_pooling/Mean";
  /** Embedding length. */
  public static final int DIM = 1024;

  private static final int SIZE = 224;
  private static final String PREFIX = "encoder";

  private FaceEncoder() {}

  /** The raw faceres graph model from the npm package (fetched into the cache on first use). */
  public static Path modelFile() {
    return NpmPackages.file(PACKAGE, VERSION, MODEL);
  }

  /** The encoder graph: faceres loaded, cut to its embedding, resizing added. */
  public static ModelGraph build() {
    try (ModelGraph raw = ModelGraph.load(modelFile());
        ModelGraph cut = raw.extractSubGraph(EMBEDDING)) {
      return ModelGraph.of(graphDef(cut.graphDef()));
    }
  }

  /**
   * The encoder around {@code faceres} (its GraphDef, whole or already cut): crops are resized to
   * 224×224 with bilinear filtering and given to faceres as 0..255 floats, as its authors feed it.
   */
  public static GraphDef graphDef(GraphDef faceres) {
    GraphDef pre;
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TUint8> images =
          tf.withName("input_images").placeholder(TUint8.class, Placeholder.shape(Shape.of(-1, -1, -1, 3)));
      Ops p = tf.withSubScope("preprocess");
      Operand<TFloat32> x = p.dtypes.cast(images, TFloat32.class);
      p.withName("resized").image.resizeBilinear(x, p.constant(new int[] {SIZE, SIZE}));
      pre = g.toGraphDef();
    }
    try (ModelGraph preprocess = ModelGraph.of(pre);
        ModelGraph model = ModelGraph.of(faceres);
        ModelGraph spliced = preprocess.splice(model, PREFIX, Map.of(RAW_INPUT + ":0", "preprocess/resized:0"))) {
      NodeDef output = NodeDef.newBuilder().setName("output").setOp("Identity")
          .addInput(TensorName.parse(spliced.splicedTensorName(PREFIX, EMBEDDING)).asInput())
          .putAttr("T", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build())
          .build();
      return spliced.graphDef().toBuilder().addNode(output).build();
    }
  }
}
