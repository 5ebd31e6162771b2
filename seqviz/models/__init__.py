"""Models, one concept a file. ARCHITECTURES maps a checkpoint's "architecture" name to its class;
every class there has `architecture`, `config_class` (a frozen dataclass), `cfg`, and the contracts
forward(x, targets=None) -> (logits, loss) and trace(...) -> a frozen trace dataclass."""


def parameter_count(model) -> int:
    """Trainable numbers in a model: its parameters, not its buffers (a sinusoidal table, a stored mask).
    Defined before the model modules are imported, which read it from here."""
    return sum(p.numel() for p in model.parameters())


from seqviz.models.recurrent import RecurrentNet
from seqviz.models.seq2seq import Seq2Seq
from seqviz.models.transformer import TransformerLM, TransformerSeq2Seq
from seqviz.models.bag import BagOfEmbeddings
from seqviz.models.las import LAS

ARCHITECTURES = {cls.architecture: cls for cls in (RecurrentNet, Seq2Seq, TransformerSeq2Seq, TransformerLM, BagOfEmbeddings, LAS)}
