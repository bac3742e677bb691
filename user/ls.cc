// ls [-dFl] [file...]: names in a directory (or the file's own name).
// -d: a directory itself, not what it holds; -F: "/" after directories;
// -l: size and type first.
#include <inc/lib.h>

namespace {

bool flag_d, flag_F, flag_l;

void
ls1(const char *prefix, bool isdir, off_t size, const char *name)
{
	// One line, one write.
	char line[MAXPATHLEN + 64];
	int n = 0;
	if (flag_l)
		n += snprintf(line + n, sizeof(line) - n, "%11ld %c ", size, isdir ? 'd' : '-');
	if (prefix) {
		const char *sep = (prefix[0] && prefix[strlen(prefix) - 1] != '/') ? "/" : "";
		n += snprintf(line + n, sizeof(line) - n, "%s%s", prefix, sep);
	}
	n += snprintf(line + n, sizeof(line) - n, "%s%s\n", name, flag_F && isdir ? "/" : "");
	write(1, line, MIN<size_t>(n, sizeof(line) - 1));
}

void
lsdir(const char *path, const char *prefix)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		panic("open %s: %s", path, error_string(fd));
	File f;
	ssize_t n;
	while ((n = readn(fd, &f, sizeof(f))) == sizeof(f))
		if (f.f_name[0]) {
			f.f_name[MAXNAMELEN - 1] = '\0';
			ls1(prefix, f.f_type == FTYPE_DIR, f.f_size, f.f_name);
		}
	if (n > 0)
		panic("short read in directory %s", path);
	if (n < 0)
		panic("error reading directory %s: %s", path, error_string(static_cast<int>(n)));
	close(fd);
}

void
ls(const char *path, const char *prefix)
{
	Stat st;
	int r = stat(path, &st);
	if (r < 0)
		panic("stat %s: %s", path, error_string(r));
	if (st.st_isdir && !flag_d)
		lsdir(path, prefix);
	else
		ls1(nullptr, st.st_isdir, st.st_size, path);
}

void
usage()
{
	printf("usage: ls [-dFl] [file...]\n");
	exit();
}

} // namespace

void
umain(int argc, char **argv)
{
	Argstate args;
	int c;
	binaryname = "ls";
	argstart(&argc, argv, &args);
	while ((c = argnext(&args)) >= 0)
		switch (c) {
		case 'd': flag_d = true; break;
		case 'F': flag_F = true; break;
		case 'l': flag_l = true; break;
		default: usage();
		}
	if (argc == 1)
		ls("/", "");
	else
		for (int i = 1; i < argc; i++)
			ls(argv[i], argv[i]);
}
