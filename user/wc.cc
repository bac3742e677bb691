// wc [file...]: lines, words and bytes of each file (or of standard
// input), as "lines words bytes[ name]".
#include <inc/lib.h>

namespace {

char buf[4096];

int
wc(int f, const char *name)
{
	int lines = 0, words = 0, bytes = 0;
	bool in_word = false;
	ssize_t n;
	while ((n = read(f, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			char c = buf[i];
			bytes++;
			if (c == '\n')
				lines++;
			bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
			if (!space && !in_word)
				words++;
			in_word = !space;
		}
	}
	if (n < 0) {
		printf("wc: error reading %s: %s\n", name ? name : "<stdin>",
		       error_string(static_cast<int>(n)));
		return static_cast<int>(n);
	}
	if (name)
		printf("%d %d %d %s\n", lines, words, bytes, name);
	else
		printf("%d %d %d\n", lines, words, bytes);
	return 0;
}

} // namespace

void
umain(int argc, char **argv)
{
	binaryname = "wc";
	if (argc == 1) {
		wc(0, nullptr);
		return;
	}
	for (int i = 1; i < argc; i++) {
		int f = open(argv[i], O_RDONLY);
		if (f < 0) {
			printf("wc: can't open %s: %s\n", argv[i], error_string(f));
			continue;
		}
		wc(f, argv[i]);
		close(f);
	}
}
