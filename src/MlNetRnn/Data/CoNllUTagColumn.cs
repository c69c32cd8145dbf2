namespace MlNetRnn.Data;

/// <summary>Which CoNLL-U column supplies the tag of each word.</summary>
public enum CoNllUTagColumn
{
    /// <summary>Column 4, the universal part-of-speech tag (e.g. <c>NOUN</c>).</summary>
    Upos,

    /// <summary>Column 5, the language-specific part-of-speech tag (e.g. Penn Treebank <c>NN</c>).</summary>
    Xpos,
}
