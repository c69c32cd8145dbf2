namespace MlNetRnn.Models;

/// <summary>The recurrent cell of a tagger's recurrent layers (Keras <c>SimpleRNN</c>, <c>LSTM</c>, <c>GRU</c>).</summary>
public enum TaggerCell
{
    /// <summary>Keras <c>SimpleRNN</c> (fused in libtorch).</summary>
    Simple,

    /// <summary>Keras <c>LSTM</c> (fused in libtorch).</summary>
    Lstm,

    /// <summary>Keras <c>GRU</c> (steps through the cell today, so several times slower).</summary>
    Gru,
}

/// <summary>How a tagger encodes each token's characters, next to its word embedding.</summary>
public enum CharFeatureKind
{
    /// <summary>Words only.</summary>
    None,

    /// <summary>Character embeddings → Conv1D (same padding, ReLU) → max over the characters.</summary>
    Cnn,

    /// <summary>Character embeddings → Bidirectional(LSTM), the final states of both directions.</summary>
    BiLstm,
}
