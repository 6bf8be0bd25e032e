"""Media panels (Images, Audio, Text, Table): encoded media records, their recorders and widgets."""
