package dev.tfkit.kernel.protocol;

import io.github.spencerpark.jupyter.messages.ContentType;
import io.github.spencerpark.jupyter.messages.MessageType;
import java.util.List;

/**
 * A history_reply's content as the protocol wants it: entries as {@code [session, line, input]}
 * (or {@code [session, line, [input, output]]}) lists. basekernel's own HistoryReply serializes
 * entries as objects, which frontends cannot read.
 */
public final class HistoryContent implements ContentType<HistoryContent> {
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final MessageType<HistoryContent> TYPE = (MessageType) MessageType.HISTORY_REPLY;

  @SuppressWarnings("unused") // serialized by Gson
  private final String status = "ok";

  @SuppressWarnings("unused") // serialized by Gson
  private final List<List<Object>> history;

  public HistoryContent(List<List<Object>> history) {
    this.history = history;
  }

  @Override
  public MessageType<HistoryContent> getType() {
    return TYPE;
  }
}
