package dev.tfkit.graph;

import com.google.protobuf.ByteString;
import dev.tfkit.zoo.FaceDetector;
import java.util.Map;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Runs BlazeFace behind an in-graph resize (the graph that crashed oneDNN's layout pass when the
 * TF.js fused convolutions were expanded) in a JVM of its own; {@link OneDnnTest} starts it with
 * oneDNN on and checks that it exits normally.
 */
public final class OneDnnProbe {
  private OneDnnProbe() {}

  public static void main(String[] args) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : new long[] {1, 480, 640, 3}) shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    TensorProto image = TensorProto.newBuilder().setDtype(DataType.DT_UINT8).setTensorShape(shape)
        .setTensorContent(ByteString.copyFrom(new byte[480 * 640 * 3])).build();
    try (ModelGraph g = FaceDetector.build()) {
      g.run(Map.of("input_images:0", image), "num_detections:0");
    }
    System.out.println("probe ok");
  }
}
